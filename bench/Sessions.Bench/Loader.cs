using System.Diagnostics;
using System.Globalization;
using System.Text;

namespace Sessions.Bench;

/// <summary>One virtual user of the lean loader: owns one connection and does one operation (one or more requests) per call.</summary>
internal interface IVirtualUser
{
    ValueTask<OperationResult> RunOnceAsync(LeanConnection connection);
}

internal readonly record struct OperationResult(int Requests, int Status);

internal sealed record Latency(double P50, double P90, double P99);

/// <summary>One scenario's figures, from wrk or the lean loader, with the server's CPU time over the measured window.</summary>
internal sealed record Measurement(string Scenario, string Client, long Operations, long Requests, TimeSpan Elapsed, Latency Latency, IReadOnlyDictionary<string, long> Errors, TimeSpan ServerCpu)
{
    public double OperationsPerSecond => Operations / Elapsed.TotalSeconds;
    public double RequestsPerSecond => Requests / Elapsed.TotalSeconds;
    public double CpuMicrosecondsPerRequest => Requests == 0 ? 0 : ServerCpu.TotalMicroseconds / Requests;

    public string ErrorText => Errors.Count == 0 ? "0" : string.Join(", ", Errors.OrderBy(e => e.Key, StringComparer.Ordinal).Select(e => $"{e.Key}×{e.Value}"));
}

/// <summary>
/// The lean loader, for what wrk cannot drive: chained calls (each presents what the last answer returned) and a
/// paced rate. Closed loop: each virtual user sends its next operation when the last one answered.
/// </summary>
internal static class Loader
{
    public static async Task<Measurement> MeasureAsync(string scenario, IMeasuredServer server, IReadOnlyList<IVirtualUser> users,
        TimeSpan warmup, TimeSpan duration, double? operationsPerSecond = null, bool stopWhenIdle = false)
    {
        var connections = await Task.WhenAll(users.Select(_ => LeanConnection.OpenAsync(server.Port)));
        var recording = 0;
        var stop = 0;
        var latencies = users.Select(_ => new List<double>(1 << 16)).ToArray();
        var errors = users.Select(_ => new Dictionary<string, long>()).ToArray();
        var requests = new long[users.Count];
        var interval = operationsPerSecond is { } rate ? users.Count / rate * Stopwatch.Frequency : 0;

        var loops = users.Select((user, i) => Task.Run(async () =>
        {
            var next = Stopwatch.GetTimestamp() + (long)(interval * i / users.Count);
            while (Volatile.Read(ref stop) == 0)
            {
                if (interval > 0)
                {
                    var wait = Stopwatch.GetElapsedTime(Stopwatch.GetTimestamp(), next);
                    if (wait > TimeSpan.Zero) await Task.Delay(wait);
                    next += (long)interval;
                }
                var started = Stopwatch.GetTimestamp();
                var result = await user.RunOnceAsync(connections[i]);
                if (result.Requests == 0)
                {
                    return; // nothing left to do (cold scenario)
                }
                if (Volatile.Read(ref recording) == 1)
                {
                    latencies[i].Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
                    requests[i] += result.Requests;
                    if (result.Status != 200)
                    {
                        var key = result.Status.ToString(CultureInfo.InvariantCulture);
                        errors[i][key] = errors[i].GetValueOrDefault(key) + 1;
                    }
                }
            }
        })).ToArray();

        await Task.Delay(warmup);
        var all = Task.WhenAll(loops);
        TimeSpan elapsed, cpu;
        await using (Profiler.Record(scenario, server))
        {
            var cpuBefore = server.CpuTime;
            var clock = Stopwatch.StartNew();
            Volatile.Write(ref recording, 1);
            await (stopWhenIdle ? Task.WhenAny(all, Task.Delay(duration)) : Task.Delay(duration));
            Volatile.Write(ref recording, 0);
            elapsed = clock.Elapsed;
            cpu = server.CpuTime - cpuBefore;
        }
        Volatile.Write(ref stop, 1);
        await all;
        foreach (var connection in connections)
        {
            connection.Dispose();
        }

        var merged = latencies.SelectMany(l => l).ToArray();
        Array.Sort(merged);
        var errorCounts = errors.SelectMany(e => e).GroupBy(e => e.Key).ToDictionary(g => g.Key, g => g.Sum(e => e.Value));
        return new Measurement(scenario, "lean loader", merged.Length, requests.Sum(), elapsed,
            new Latency(Percentile(merged, 0.50), Percentile(merged, 0.90), Percentile(merged, 0.99)), errorCounts, cpu);
    }

    public static byte[] Json(string brand, string identifierValue, string? deviceId, params (string Name, string Value)[] fields)
    {
        var text = new StringBuilder();
        text.Append($"{{\"brand\":\"{brand}\",\"identifierType\":\"MOBILE\",\"identifierValue\":\"{identifierValue}\"");
        if (deviceId is not null)
        {
            text.Append($",\"deviceId\":\"{deviceId}\"");
        }
        foreach (var (name, value) in fields)
        {
            text.Append($",\"{name}\":\"{value}\"");
        }
        return Encoding.UTF8.GetBytes(text.Append('}').ToString());
    }

    private static double Percentile(double[] sorted, double p) =>
        sorted.Length == 0 ? double.NaN : sorted[Math.Min(sorted.Length - 1, (int)Math.Ceiling(p * sorted.Length) - 1)];
}
