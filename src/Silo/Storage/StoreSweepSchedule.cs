using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Sessions.Grains.Contracts;
using Sessions.Silo.Hosting;

namespace Sessions.Silo.Storage;

/// <summary>
/// Tells the cluster's store sweep (<see cref="IStoreSweepGrain"/>) how often to run (<see cref="StorageOptions.SweepHours"/>)
/// once this silo is active, and again every minute until it could: a store that is down at start-up delays the
/// schedule, not the silo.
/// </summary>
internal sealed partial class StoreSweepSchedule(IGrainFactory grains, IOptions<StorageOptions> storage, ILogger<StoreSweepSchedule> logger)
    : ILifecycleParticipant<ISiloLifecycle>
{
    private readonly CancellationTokenSource _stopping = new();

    public void Participate(ISiloLifecycle lifecycle) =>
        lifecycle.Subscribe(nameof(StoreSweepSchedule), ServiceLifecycleStage.Active, started =>
        {
            KeepTryingAsync().Ignore();
            return Task.CompletedTask;
        }, stopping => _stopping.CancelAsync());

    private async Task KeepTryingAsync()
    {
        TimeSpan? every = storage.Value.SweepHours > 0 ? TimeSpan.FromHours(storage.Value.SweepHours) : null;
        while (!_stopping.IsCancellationRequested)
        {
            try
            {
                await grains.GetGrain<IStoreSweepGrain>(IStoreSweepGrain.Key).ScheduleAsync(every);
                return;
            }
            catch (Exception e) when (!_stopping.IsCancellationRequested)
            {
                // Whatever the store or the activation threw (a store down at start-up throws its client's errors,
                // not Orleans'): try again, as promised, rather than end the loop unscheduled.
                LogNotScheduled(e);
            }
            try
            {
                await Task.Delay(TimeSpan.FromMinutes(1), _stopping.Token);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    [LoggerMessage(EventId = 1033, Level = LogLevel.Warning, Message = "Could not schedule the store sweep; trying again in a minute")]
    private partial void LogNotScheduled(Exception exception);
}
