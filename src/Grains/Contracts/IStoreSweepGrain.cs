namespace Sessions.Grains.Contracts;

/// <summary>
/// The one sweep of the store in the cluster (key <see cref="Key"/>): it looks through the stored device sessions and
/// identifiers, and asks those whose state has wholly ended to forget it (<see cref="ITidyGrain"/>). A grain tidies
/// itself whenever it deactivates; the sweep reaches those that are never activated again (an uninstalled app, a
/// guesser's random identifiers), which would otherwise stay in the store for ever. It also wakes the customers'
/// histories that hold security events waiting for the webhook (<see cref="ICustomerHistoryGrain.ResumeDeliveriesAsync"/>).
/// </summary>
[Alias("sessions.store-sweep")]
public interface IStoreSweepGrain : IGrainWithStringKey
{
    public const string Key = "cluster";

    /// <summary>Keeps the reminder that sweeps every <paramref name="every"/> (null: none); each silo calls it as it starts.</summary>
    [Alias("schedule")]
    Task ScheduleAsync(TimeSpan? every);

    /// <summary>Sweeps now, or waits for the sweep under way, and answers what it did.</summary>
    [Alias("sweep"), AlwaysInterleave]
    Task<StoreSweepResult> SweepAsync();

    /// <summary>Starts a sweep now unless one is under way, without waiting for it: what an operator asks for.</summary>
    [Alias("start"), AlwaysInterleave]
    Task<StoreSweepStatus> StartAsync();

    [Alias("status"), AlwaysInterleave]
    Task<StoreSweepStatus> GetStatusAsync();
}

/// <summary>Whether a sweep is under way, how often one runs (null: never by itself), and what the last whole one did.</summary>
[GenerateSerializer, Immutable, Alias("sessions.store-sweep-status")]
public sealed record StoreSweepStatus
{
    [Id(0)] public bool Running { get; init; }
    [Id(1)] public TimeSpan? Every { get; init; }
    [Id(2)] public StoreSweepResult? Last { get; init; }
}

/// <summary>
/// What one sweep did: states read, grains asked to tidy (their states had ended), states removed, grains that could
/// not tidy or resume (their activation or write failed; the next sweep asks them again), and security events found
/// waiting for the webhook in the customers' histories it woke (each handed back to it unless already under way).
/// </summary>
[GenerateSerializer, Immutable, Alias("sessions.store-sweep-result")]
public sealed record StoreSweepResult
{
    [Id(0)] public long Read { get; init; }
    [Id(1)] public long Tidied { get; init; }
    [Id(2)] public long Removed { get; init; }
    [Id(3)] public TimeSpan Took { get; init; }
    [Id(4)] public long Failed { get; init; }
    [Id(5)] public DateTimeOffset StartedAt { get; init; }
    [Id(6)] public long EventsResumed { get; init; }
}
