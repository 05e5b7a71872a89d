namespace Sessions.Grains;

public static class ServiceKeys
{
    /// <summary>
    /// The keyed <see cref="TimeProvider"/> that every session rule reads. It is keyed so that tests can fake the
    /// service's clock without also faking the clock of the Orleans runtime underneath it.
    /// </summary>
    public const string Clock = "sessions-clock";

    /// <summary>The grain storage provider name that holds every session state.</summary>
    public const string Storage = "sessions";
}
