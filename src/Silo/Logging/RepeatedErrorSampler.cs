using System.Collections.Concurrent;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Sessions.Grains;

namespace Sessions.Silo.Logging;

/// <summary>
/// Keeps an incident from flooding the logs (README, "Operations"). While the store or the cluster is down, every call
/// fails alike, and Orleans and this service each log the failure with its stack: a dozen records per refused call, tens
/// of megabytes a second at a busy API, which would make the log pipeline the next thing to fail. Of the records that
/// carry an exception (warnings and worse), the first <see cref="LogSamplingOptions.RepeatsPerWindow"/> of each kind
/// (category, event id, exception type) in a window are written and the rest are counted; at the end of the window one
/// line per kind says how many were left out. Records without an exception, the audit trail's among them, are all written.
/// One of the rules of <see cref="SessionsLogSampler"/>.
/// </summary>
internal sealed partial class RepeatedErrorSampler : IDisposable
{
    // Kinds come from the code's log statements and exception types, so there are few; a bound all the same.
    private const int MaxKinds = 1024;

    private readonly ConcurrentDictionary<Kind, Tally> _kinds = new();
    private readonly int _repeatsPerWindow;
    private readonly TimeSpan _window;
    private readonly ITimer _flush;
    private readonly IServiceProvider _services;
    private ILogger? _logger;

    public RepeatedErrorSampler(IOptions<LogSamplingOptions> options, [FromKeyedServices(ServiceKeys.Clock)] TimeProvider clock, IServiceProvider services)
    {
        _repeatsPerWindow = options.Value.RepeatsPerWindow;
        _window = TimeSpan.FromSeconds(options.Value.WindowSeconds);
        _services = services;
        _flush = clock.CreateTimer(_ => Flush(), null, _window, _window);
    }

    public bool ShouldSample<TState>(in LogEntry<TState> logEntry)
    {
        if (logEntry.Exception is not { } exception || logEntry.LogLevel < LogLevel.Warning)
        {
            return true;
        }
        var kind = new Kind(logEntry.Category, logEntry.EventId.Id, exception.GetType().FullName ?? "");
        if (!_kinds.TryGetValue(kind, out var tally))
        {
            if (_kinds.Count >= MaxKinds)
            {
                return true;
            }
            tally = _kinds.GetOrAdd(kind, static _ => new Tally());
        }
        if (Interlocked.Increment(ref tally.Seen) <= _repeatsPerWindow)
        {
            return true;
        }
        Interlocked.Increment(ref tally.LeftOut);
        return false;
    }

    public void Dispose() => _flush.Dispose();

    /// <summary>Ends the window: a line for each kind that had records left out, and a fresh count for every kind.</summary>
    private void Flush()
    {
        foreach (var (kind, tally) in _kinds)
        {
            var seen = Interlocked.Exchange(ref tally.Seen, 0);
            var leftOut = Interlocked.Exchange(ref tally.LeftOut, 0);
            if (seen == 0)
            {
                _kinds.TryRemove(kind, out _);
            }
            if (leftOut > 0)
            {
                // Resolved late: the logger factory is made with this sampler, so it cannot be had before it.
                _logger ??= _services.GetRequiredService<ILogger<RepeatedErrorSampler>>();
                LogLeftOut(_logger, leftOut, kind.Category, kind.EventId, kind.ExceptionType, _window.TotalSeconds, _repeatsPerWindow);
            }
        }
    }

    [LoggerMessage(EventId = 2005, Level = LogLevel.Warning,
        Message = "{LeftOut} more records of {Category} (event {EventId}, {ExceptionType}) were left out in the last {WindowSeconds} s: the first {Written} of each window are written")]
    private static partial void LogLeftOut(ILogger logger, long leftOut, string category, int eventId, string exceptionType, double windowSeconds, int written);

    private readonly record struct Kind(string Category, int EventId, string ExceptionType);

    private sealed class Tally
    {
        public long Seen;
        public long LeftOut;
    }
}

/// <summary><c>Sessions:LogSampling</c>: how many records of one kind of error a window writes (<see cref="RepeatedErrorSampler"/>).</summary>
public sealed class LogSamplingOptions
{
    public const string SectionName = "Sessions:LogSampling";

    /// <summary>Records of one kind (category, event id, exception type) written per window; the rest are counted.</summary>
    public int RepeatsPerWindow { get; set; } = 5;

    public int WindowSeconds { get; set; } = 10;
}
