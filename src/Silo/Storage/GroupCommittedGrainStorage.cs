using Orleans.Storage;

namespace Sessions.Silo.Storage;

/// <summary>
/// Grain storage whose writes and clears complete only once the embedded store's log holds them
/// (<see cref="AofGroupCommit"/>); reads pass through.
/// </summary>
internal sealed class GroupCommittedGrainStorage(IGrainStorage store, AofGroupCommit log) : IGrainStorage
{
    public Task ReadStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState) => store.ReadStateAsync(stateName, grainId, grainState);

    public async Task WriteStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState)
    {
        await store.WriteStateAsync(stateName, grainId, grainState);
        await log.WaitForCommitAsync();
    }

    public async Task ClearStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState)
    {
        await store.ClearStateAsync(stateName, grainId, grainState);
        await log.WaitForCommitAsync();
    }
}
