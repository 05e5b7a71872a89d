using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Orleans.Serialization;
using Sessions.Grains.Configuration;
using Sessions.Grains.Contracts;
using Sessions.Grains.Customers;
using Sessions.Grains.DeviceSessions;
using Sessions.Grains.Identifiers;
using Sessions.Grains.Identity;

namespace Sessions.Grains.StoreSweep;

/// <summary>
/// Looks through the stored device sessions and identifiers a page at a time and asks each one whose state has wholly
/// ended to tidy itself. It only reads the store: the grain decides, by its own rules and in its own turn, so a device
/// that logs in again while the sweep looks at its old state keeps its new login. It also wakes every customer's history
/// marked as holding security events waiting for the webhook (<see cref="EventsWaitingMark"/>), so that one whose first
/// try a crash cut short is sent within a sweep's interval, not at the customer's next use. An hourly reminder wakes
/// this grain on whichever silo holds it, and a sweep starts once the interval since the last whole one has passed; a
/// sweep that a crash cuts short is done again at the next hour.
/// </summary>
[GrainType("store-sweep")]
internal sealed partial class StoreSweepGrain(
    [PersistentState("store-sweep", ServiceKeys.Storage)] IPersistentState<StoreSweepState> state,
    IStoredStates stored,
    Serializer serializer,
    IOptions<SessionsOptions> options,
    [FromKeyedServices(ServiceKeys.Clock)] TimeProvider clock,
    ILogger<StoreSweepGrain> logger) : Grain, IStoreSweepGrain, IRemindable
{
    private const string ReminderName = "sweep";
    private static readonly TimeSpan ReminderPeriod = TimeSpan.FromHours(1);
    private const int PageSize = 500;

    // Tidies in flight at once: enough to keep the store busy, few enough to leave the silo to its requests.
    private const int Parallel = 8;

    private static readonly GrainType DeviceSessionType = GrainType.Create(GrainTypes.DeviceSession);
    private static readonly GrainType IdentifierType = GrainType.Create(GrainTypes.Identifier);
    private static readonly GrainType CustomerHistoryType = GrainType.Create(GrainTypes.CustomerHistory);

    private Task<StoreSweepResult>? _sweep;

    // The sweep runs beside this grain's calls (a silo's schedule may arrive meanwhile): one state write at a time.
    private readonly SemaphoreSlim _writes = new(1, 1);

    public async Task ScheduleAsync(TimeSpan? every)
    {
        if (state.State.Every != every)
        {
            await WriteAsync(s => s.Every = every);
        }
        var reminder = await this.GetReminder(ReminderName);
        if (every is null && reminder is not null)
        {
            await this.UnregisterReminder(reminder);
        }
        else if (every is not null && reminder is null)
        {
            await this.RegisterOrUpdateReminder(ReminderName, ReminderPeriod, ReminderPeriod);
        }
    }

    // Whether a sweep runs: cleared in the same step that records its result, so that no status shows both.
    private bool _sweeping;

    public Task<StoreSweepResult> SweepAsync() => _sweep is { IsCompleted: false } running ? running : _sweep = RunAsync();

    public Task<StoreSweepStatus> StartAsync()
    {
        // Its failure is logged by the sweep itself; the operator sees it in the status (no new last result).
        SweepAsync().Ignore();
        return GetStatusAsync();
    }

    public Task<StoreSweepStatus> GetStatusAsync() => Task.FromResult(new StoreSweepStatus
    {
        Running = _sweeping,
        Every = state.State.Every,
        Last = state.State.Last,
    });

    public Task ReceiveReminder(string reminderName, TickStatus status)
    {
        if (state.State is { Every: { } every } && !(clock.GetUtcNow() - state.State.Last?.StartedAt < every))
        {
            // The reminder's call returns at once; the sweep goes on in this activation, which it keeps alive, and
            // logs its own failure.
            SweepAsync().Ignore();
        }
        return Task.CompletedTask;
    }

    private async Task<StoreSweepResult> RunAsync()
    {
        // The embedded store answers in process, so a sweep that tidies nothing would otherwise run whole inside the
        // call that started it: the caller gets its answer now, and each page is a turn of its own (below).
        _sweeping = true;
        await Task.Yield();
        try
        {
            var startedAt = clock.GetUtcNow();
            var started = clock.GetTimestamp();
            var tally = new Tally();
            // The two keep their states under their grain type's name; a history marks that events wait in it beside it.
            await SweepAsync(DeviceSessionType, GrainTypes.DeviceSession, DeviceSessionHasEnded, key => TidyAsync(DeviceSessionType, key, tally), tally);
            await SweepAsync(IdentifierType, GrainTypes.Identifier, IdentifierHasEnded, key => TidyAsync(IdentifierType, key, tally), tally);
            await SweepAsync(CustomerHistoryType, CustomerHistoryGrain.WaitingMarkName, HistoryMarkedWaiting, key => ResumeDeliveriesAsync(key, tally), tally);
            var result = new StoreSweepResult
            {
                Read = tally.Read,
                Tidied = tally.Tidied,
                Removed = tally.Removed,
                Failed = tally.Failed,
                EventsResumed = tally.EventsResumed,
                StartedAt = startedAt,
                Took = clock.GetElapsedTime(started),
            };
            LogSwept(result.Read, result.Tidied, result.Removed, result.Failed, result.EventsResumed, result.Took.TotalSeconds);
            await WriteAsync(s =>
            {
                s.Last = result;
                _sweeping = false;
            });
            return result;
        }
        catch (Exception e)
        {
            LogSweepFailed(e);
            throw;
        }
        finally
        {
            _sweeping = false;
        }
    }

    /// <summary>Reads every stored state of <paramref name="grainType"/> and calls <paramref name="visit"/> on the grains it <paramref name="selects"/>.</summary>
    private async Task SweepAsync(GrainType grainType, string stateName, Func<string, byte[], DateTimeOffset, bool> selects, Func<string, Task> visit, Tally tally)
    {
        string? cursor = null;
        do
        {
            await Task.Yield();
            DelayDeactivation(TimeSpan.FromMinutes(5));
            var page = await stored.ReadPageAsync(grainType, stateName, cursor, PageSize);
            tally.Read += page.States.Count;
            var now = clock.GetUtcNow();
            var selected = page.States.Where(s => selects(s.GrainKey, s.Data, now)).Select(s => s.GrainKey).ToList();
            foreach (var batch in selected.Chunk(Parallel))
            {
                // The visits' continuations run in this grain's turns, one at a time, so the tally needs no lock.
                await Task.WhenAll(batch.Select(visit));
            }
            cursor = page.Cursor;
        }
        while (cursor is not null);
    }

    /// <summary>
    /// Asks one grain to tidy itself. One that cannot (its activation or its write failed) does not stop the sweep: it is
    /// counted, and asked again by the next sweep.
    /// </summary>
    private async Task TidyAsync(GrainType grainType, string key, Tally tally)
    {
        tally.Tidied++;
        try
        {
            if (await GrainFactory.GetGrain<ITidyGrain>(GrainId.Create(grainType, key)).TidyAsync())
            {
                tally.Removed++;
            }
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            LogTidyFailed(e, grainType.ToString()!);
            tally.Failed++;
        }
    }

    /// <summary>Wakes one customer's history, which hands its waiting events back to the webhook; one that fails is counted.</summary>
    private async Task ResumeDeliveriesAsync(string key, Tally tally)
    {
        try
        {
            tally.EventsResumed += await GrainFactory.GetGrain<ICustomerHistoryGrain>(key).ResumeDeliveriesAsync();
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            LogTidyFailed(e, GrainTypes.CustomerHistory);
            tally.Failed++;
        }
    }

    private async Task WriteAsync(Action<StoreSweepState> change)
    {
        await _writes.WaitAsync();
        try
        {
            change(state.State);
            await state.WriteStateAsync();
        }
        finally
        {
            _writes.Release();
        }
    }

    /// <summary>Whether the grain, forgetting what ended, would be left with nothing: tried on the copy just read.</summary>
    private bool DeviceSessionHasEnded(string grainKey, byte[] data, DateTimeOffset now)
    {
        if (Read<DeviceSessionState>(grainKey, data, key => GrainKeys.ParseDeviceSession(key).Identifier.Brand) is not { } read)
        {
            return false;
        }
        read.State.ForgetWhatEnded(read.Brand, now);
        return read.State.IsEmpty;
    }

    private bool IdentifierHasEnded(string grainKey, byte[] data, DateTimeOffset now) =>
        Read<IdentifierState>(grainKey, data, key => GrainKeys.ParseIdentifier(key).Brand) is { } read && read.State.HoldsNothingAt(now, read.Brand);

    /// <summary>
    /// Whether the history is marked as one whose events may wait for the webhook (every mark of a brand still configured).
    /// Most of them are being delivered by a live silo, which the history's own activation knows: it starts none twice.
    /// </summary>
    private bool HistoryMarkedWaiting(string grainKey, byte[] data, DateTimeOffset now) =>
        Read<EventsWaitingMark>(grainKey, data, GrainKeys.BrandOfCustomer) is not null;

    /// <summary>The state and its brand's rules; null for a state this silo cannot judge, which is left as it is.</summary>
    private (T State, BrandOptions Brand)? Read<T>(string grainKey, byte[] data, Func<string, string> brandOf)
    {
        try
        {
            if (options.Value.FindBrand(brandOf(grainKey)) is not { } brand)
            {
                // A brand taken out of the configuration: its grains cannot activate to tidy either.
                return null;
            }
            return serializer.Deserialize<T>(data) is { } read ? (read, brand) : null;
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // Bytes that are not a state of this version throw whatever the codec meets first.
            LogUnreadable(e, typeof(T).Name);
            return null;
        }
    }

    /// <summary>What one sweep has done so far, over both kinds of state.</summary>
    private sealed class Tally
    {
        public long Read { get; set; }
        public long Tidied { get; set; }
        public long Removed { get; set; }
        public long Failed { get; set; }
        public long EventsResumed { get; set; }
    }

    [LoggerMessage(EventId = 1030, Level = LogLevel.Information,
        Message = "Store sweep: read {Read} stored states, asked {Tidied} that had ended to tidy, {Removed} removed, {Failed} could not tidy or resume, {EventsResumed} security events waiting for the webhook handed back to it, in {Seconds:F1} s")]
    private partial void LogSwept(long read, long tidied, long removed, long failed, long eventsResumed, double seconds);

    [LoggerMessage(EventId = 1031, Level = LogLevel.Warning, Message = "Store sweep stopped; the next one starts over")]
    private partial void LogSweepFailed(Exception exception);

    [LoggerMessage(EventId = 1034, Level = LogLevel.Warning, Message = "Store sweep: a {GrainType} could not tidy itself or resume its deliveries; the next sweep asks it again")]
    private partial void LogTidyFailed(Exception exception, string grainType);

    [LoggerMessage(EventId = 1032, Level = LogLevel.Warning, Message = "Store sweep: a stored {StateType} could not be read; it is left as it is")]
    private partial void LogUnreadable(Exception exception, string stateType);
}

[GenerateSerializer, Alias("sessions.store-sweep-state")]
public sealed class StoreSweepState
{
    /// <summary>How often the store is swept, as the silos were last started with; null: never.</summary>
    [Id(0)] public TimeSpan? Every { get; set; }

    /// <summary>What the last whole sweep did, and when it started.</summary>
    [Id(1)] public StoreSweepResult? Last { get; set; }
}
