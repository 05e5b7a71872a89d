using System.Diagnostics;
using Sessions.Api.Envelope;
using Sessions.Api.Operations;

namespace Sessions.Api.Endpoints;

/// <summary>
/// Retries a grain call that may safely run twice, so that a silo stopping or crashing under a request, or a store that
/// blinks, does not reach the client. A regenerate qualifies: if the first try committed a rotation and only its answer
/// was lost, the retry presents the same key within the reuse grace and gets the same successor (API.md §5). Calls that
/// consume something (an OTP, a send from the window) are never retried here; their client retries on 1599.
/// <para>
/// A store outage that has outlasted one whole schedule of retries is not a blink: while the store has failed every
/// call for that long, with none succeeding, a call begun since the failures began that the store fails is answered at
/// once instead of being held for the schedule and tried four more times; a call already under way then keeps its whole
/// schedule. Each call still makes its first try, so the first one that succeeds ends the outage. Failures of the
/// cluster (a silo moving its grains) are retried as always.
/// </para>
/// </summary>
public sealed partial class IdempotentRetry(SessionsMetrics metrics, ILogger<IdempotentRetry> logger)
{
    // About the time Orleans needs to move a gracefully stopping silo's grains and the client to drop its gateway.
    private static readonly TimeSpan[] Backoff = [TimeSpan.FromMilliseconds(50), TimeSpan.FromMilliseconds(200), TimeSpan.FromMilliseconds(500), TimeSpan.FromSeconds(1)];

    /// <summary>How long the store must have failed every call before it is an outage: one whole schedule.</summary>
    private static readonly TimeSpan OutageAfter = Backoff.Aggregate(TimeSpan.Zero, (sum, delay) => sum + delay);

    /// <summary>
    /// How long without a store failure ends a run of them: long enough that sparse traffic, or this process stalled for a
    /// moment (a collection, a starved CPU), does not end an outage; short enough that a store that failed once and was not
    /// asked since is not in one.
    /// </summary>
    private static readonly TimeSpan RunBreak = TimeSpan.FromSeconds(10);

    // The store's current run of failures: when it began (0: none since the last success), its latest failure, and
    // whether the outage was reported. They change together under the lock, on failures and on the first success after
    // them; the hot path's success only reads the first.
    private readonly Lock _run = new();
    private long _storeFailingSince;
    private long _lastStoreFailure;
    private bool _outageReported;

    public async Task<T> CallAsync<T>(Func<Task<T>> call)
    {
        var started = Stopwatch.GetTimestamp();
        for (var attempt = 0; ; attempt++)
        {
            try
            {
                var result = await call();
                Succeeded();
                return result;
            }
            catch (Exception e) when (TransientFailures.IsTransient(e) && MayRetry(e, attempt, started))
            {
                await Task.Delay(Backoff[attempt]);
            }
        }
    }

    private bool MayRetry(Exception failure, int attempt, long callStarted)
    {
        var storeFailure = TransientFailures.IsStoreFailure(failure);
        var outage = storeFailure && InStoreOutage(callStarted);
        if (attempt >= Backoff.Length)
        {
            return false;
        }
        if (outage)
        {
            metrics.RetrySkipped();
            return false;
        }
        metrics.Retried(storeFailure ? "store" : "cluster");
        return true;
    }

    /// <summary>
    /// Records a store failure; whether the store has now failed every call for longer than a whole schedule, for a call
    /// that began after the failures did. A failure that follows the last one by more than <see cref="RunBreak"/> starts
    /// a new run.
    /// </summary>
    private bool InStoreOutage(long callStarted)
    {
        lock (_run)
        {
            var now = Stopwatch.GetTimestamp();
            var previous = _lastStoreFailure;
            _lastStoreFailure = now;
            if (_storeFailingSince == 0 || Stopwatch.GetElapsedTime(previous, now) > RunBreak)
            {
                Volatile.Write(ref _storeFailingSince, now);
                return false;
            }
            var failingFor = Stopwatch.GetElapsedTime(_storeFailingSince, now);
            // A call already under way when the run began keeps its whole schedule, however long its own tries take on a
            // loaded host: for it, the run may be the blink the retries are for.
            if (failingFor < OutageAfter || callStarted < _storeFailingSince)
            {
                return false;
            }
            if (!_outageReported)
            {
                _outageReported = true;
                LogStoreOutage(failingFor.TotalSeconds);
            }
            return true;
        }
    }

    private void Succeeded()
    {
        // Read first, without the lock: the hot path's calls must not contend for it, nor write this field's cache line.
        if (Volatile.Read(ref _storeFailingSince) == 0)
        {
            return;
        }
        lock (_run)
        {
            var since = _storeFailingSince;
            if (since == 0)
            {
                return;
            }
            Volatile.Write(ref _storeFailingSince, 0);
            if (_outageReported)
            {
                _outageReported = false;
                LogStoreBack(Stopwatch.GetElapsedTime(since).TotalSeconds);
            }
        }
    }

    [LoggerMessage(EventId = 2008, Level = LogLevel.Warning,
        Message = "The store has failed every call for {Seconds:F1} s: regenerates it fails are answered 1599 at once, without retries, until one succeeds")]
    private partial void LogStoreOutage(double seconds);

    [LoggerMessage(EventId = 2009, Level = LogLevel.Information, Message = "The store answers again, {Seconds:F1} s after its first failure: regenerates are retried again")]
    private partial void LogStoreBack(double seconds);
}
