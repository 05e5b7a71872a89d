using Orleans.Storage;

namespace Sessions.Grains;

internal static class StateWrites
{
    /// <summary>
    /// Writes the state; on any failure the activation is dropped so the next call re-reads what the store really
    /// holds. A version conflict (<see cref="InconsistentStateException"/>) already does that in the runtime; a
    /// timeout may or may not have landed, so the in-memory copy and its ETag can no longer be trusted either.
    /// </summary>
    public static async Task WriteOrDeactivateAsync<T>(this IPersistentState<T> state, Action deactivate)
    {
        try
        {
            await state.WriteStateAsync();
        }
        catch (Exception e) when (e is not InconsistentStateException)
        {
            deactivate();
            throw;
        }
    }
}
