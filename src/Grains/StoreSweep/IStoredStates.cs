namespace Sessions.Grains.StoreSweep;

/// <summary>
/// The stored states of one kind of grain, read page by page without activating the grains: what the store sweep
/// looks through. The silo provides it for its store (the embedded one, a Redis primary, or every primary of a Redis
/// Cluster).
/// </summary>
public interface IStoredStates
{
    /// <summary>
    /// Up to about <paramref name="count"/> states of grains of <paramref name="grainType"/> (state name
    /// <paramref name="stateName"/>), from <paramref name="cursor"/> (null for the first page). A state written or
    /// removed while the pages are read may be in one page, in two, or in none.
    /// </summary>
    Task<StoredStatesPage> ReadPageAsync(GrainType grainType, string stateName, string? cursor, int count);
}

/// <param name="Cursor">Where the next page starts; null after the last one.</param>
public sealed record StoredStatesPage(IReadOnlyList<StoredState> States, string? Cursor);

/// <param name="GrainKey">The grain's key (its string key, not the whole grain id).</param>
/// <param name="Data">The state as the grain storage wrote it (the Orleans serializer's bytes).</param>
public sealed record StoredState(string GrainKey, byte[] Data);
