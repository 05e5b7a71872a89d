using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;

namespace Sessions.Bench;

/// <summary>
/// The garbage collector's running totals as the API reports them at <c>/metrics</c> (the runtime's own meter): the
/// collections by the oldest generation each collected, and the time the process spent paused for them. Two readings
/// around a window tell whether a full collection landed in it, which moves the window's CPU per request more than
/// anything the requests do.
/// </summary>
internal sealed partial record GcCounts(long Gen0, long Gen1, long Gen2, double PauseSeconds)
{
    // The exporter answers /metrics from a cache for 300 ms (its default): a second reading sooner repeats the first,
    // which a window shorter than that (2,000 cold activations at 10,000 sessions can take 0.2 s) would print as none.
    private static readonly TimeSpan ResponseCache = TimeSpan.FromMilliseconds(500);

    private long _readAt;

    public static async Task<GcCounts> ReadAsync(HttpClient http, int metricsPort)
    {
        var text = await http.GetStringAsync($"http://127.0.0.1:{metricsPort}/metrics");
        long Collections(string generation) =>
            CollectionsLine().Matches(text).Where(m => m.Groups["generation"].Value == generation).Sum(m => (long)Value(m));
        var pause = PauseLine().Match(text);
        return new GcCounts(Collections("gen0"), Collections("gen1"), Collections("gen2"), pause.Success ? Value(pause) : 0)
        {
            _readAt = Stopwatch.GetTimestamp(),
        };
    }

    /// <summary>What the collector did since this reading, read once the endpoint's cache can no longer answer with it.</summary>
    public async Task<GcCounts> SinceAsync(HttpClient http, int metricsPort)
    {
        var wait = ResponseCache - Stopwatch.GetElapsedTime(_readAt);
        if (wait > TimeSpan.Zero)
        {
            await Task.Delay(wait);
        }
        var now = await ReadAsync(http, metricsPort);
        return new(now.Gen0 - Gen0, now.Gen1 - Gen1, now.Gen2 - Gen2, now.PauseSeconds - PauseSeconds);
    }

    /// <summary>As the bench's tables print it: collections of gen0/gen1/gen2, then the pause.</summary>
    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"{Gen0}/{Gen1}/{Gen2}, {PauseSeconds * 1000:F0} ms");

    private static double Value(Match match) => double.Parse(match.Groups["value"].Value, CultureInfo.InvariantCulture);

    [GeneratedRegex("""^dotnet_gc_collections_total\{[^}]*gc_heap_generation="(?<generation>gen\d)"[^}]*\}\s+(?<value>[0-9.eE+-]+)""", RegexOptions.Multiline)]
    private static partial Regex CollectionsLine();

    [GeneratedRegex("""^dotnet_gc_pause_time_seconds_total(\{[^}]*\})?\s+(?<value>[0-9.eE+-]+)""", RegexOptions.Multiline)]
    private static partial Regex PauseLine();
}
