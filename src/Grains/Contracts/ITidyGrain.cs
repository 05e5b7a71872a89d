namespace Sessions.Grains.Contracts;

/// <summary>
/// A grain whose stored state ends by itself (sessions, windows, key families): the store sweep asks it to forget what
/// ended, so that a device or identifier never used again does not stay in the store for ever.
/// </summary>
[Alias("sessions.tidy")]
public interface ITidyGrain : IGrainWithStringKey
{
    /// <summary>Forgets what ended by the grain's own rules; true when nothing is left, and the store holds no state for it.</summary>
    [Alias("tidy")]
    Task<bool> TidyAsync();
}
