using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;

namespace Sessions.Bench;

/// <summary>
/// The garbage collector's running totals as the API reports them at <c>/metrics</c> (the runtime's own meter): the
/// collections by the oldest generation each collected, and the time the process spent paused for them. Readings
/// around a window tell whether a full collection landed in it, which moves the window's CPU per request more than
/// anything the requests do.
/// </summary>
internal sealed partial record GcCounts(long Gen0, long Gen1, long Gen2, double PauseSeconds)
{
    // The exporter answers /metrics from a cache for 300 ms (its default): a second reading sooner repeats the first,
    // which a window shorter than that (2,000 cold activations at 10,000 sessions can take 0.2 s) would print as none.
    private static readonly TimeSpan ResponseCache = TimeSpan.FromMilliseconds(500);

    /// <summary>Runs <paramref name="window"/> and hands back what the collector did during it.</summary>
    public static async Task<(T Result, GcCounts Collections)> AroundAsync<T>(HttpClient http, int metricsPort, Func<Task<T>> window)
    {
        var before = await ReadAsync(http, metricsPort);
        var readAt = Stopwatch.GetTimestamp();
        var result = await window();
        var wait = ResponseCache - Stopwatch.GetElapsedTime(readAt);
        if (wait > TimeSpan.Zero)
        {
            await Task.Delay(wait);
        }
        var after = await ReadAsync(http, metricsPort);
        return (result, new(after.Gen0 - before.Gen0, after.Gen1 - before.Gen1, after.Gen2 - before.Gen2, after.PauseSeconds - before.PauseSeconds));
    }

    /// <summary>As the bench's tables print it: collections of gen0/gen1/gen2, then the pause.</summary>
    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"{Gen0}/{Gen1}/{Gen2}, {PauseSeconds * 1000:F0} ms");

    private static async Task<GcCounts> ReadAsync(HttpClient http, int metricsPort)
    {
        var text = await http.GetStringAsync($"http://127.0.0.1:{metricsPort}/metrics");
        long gen0 = 0, gen1 = 0, gen2 = 0;
        foreach (Match line in CollectionsLine().Matches(text))
        {
            var count = (long)Value(line);
            switch (line.Groups["generation"].Value)
            {
                case "gen0": gen0 += count; break;
                case "gen1": gen1 += count; break;
                case "gen2": gen2 += count; break;
            }
        }
        var pause = PauseLine().Match(text);
        return new GcCounts(gen0, gen1, gen2, pause.Success ? Value(pause) : 0);
    }

    private static double Value(Match match) => double.Parse(match.Groups["value"].Value, CultureInfo.InvariantCulture);

    [GeneratedRegex("""^dotnet_gc_collections_total\{[^}]*gc_heap_generation="(?<generation>gen\d)"[^}]*\}\s+(?<value>[0-9.eE+-]+)""", RegexOptions.Multiline)]
    private static partial Regex CollectionsLine();

    [GeneratedRegex("""^dotnet_gc_pause_time_seconds_total(\{[^}]*\})?\s+(?<value>[0-9.eE+-]+)""", RegexOptions.Multiline)]
    private static partial Regex PauseLine();
}
