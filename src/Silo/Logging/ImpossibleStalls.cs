using System.Diagnostics;
using Microsoft.Extensions.Logging.Abstractions;

namespace Sessions.Silo.Logging;

/// <summary>
/// Orleans' watchdog (10.4) can make its first check before it has set the clock it measures from. It then warns of a
/// stall as long as the machine's uptime: <c>Participant check thread has not completed for 07:46:48…</c> (category
/// <c>Orleans.Runtime.Watchdog</c>, event 100150), at one start in two or three. A stall longer than this process has
/// lived cannot have happened, so such a record is dropped: operators who alert on the watchdog are paged for real
/// stalls only. Any stall that fits in the process's life is written as Orleans reports it.
/// </summary>
internal sealed class ImpossibleStalls
{
    private const string WatchdogCategory = "Orleans.Runtime.Watchdog";
    private const int StalledEventId = 100150;
    private const string StallValue = "TimeSinceLastTick";

    // Taken when the logging pipeline is built, before the silo (and so its watchdog) exists. The watchdog measures on
    // the real monotonic clock, not the service's injectable one, and so does this.
    private readonly long _started = Stopwatch.GetTimestamp();

    public bool Matches<TState>(in LogEntry<TState> logEntry)
    {
        if (logEntry.EventId.Id != StalledEventId || logEntry.Category != WatchdogCategory
            || logEntry.State is not IReadOnlyList<KeyValuePair<string, object?>> values)
        {
            return false;
        }
        for (var i = 0; i < values.Count; i++)
        {
            if (values[i] is { Key: StallValue, Value: TimeSpan stall })
            {
                return stall > Stopwatch.GetElapsedTime(_started);
            }
        }
        return false;
    }
}
