using System.Diagnostics;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;

namespace Sessions.Bench;

/// <summary>One virtual user: does one operation (one or more requests) per call and says how it went.</summary>
internal interface IVirtualUser
{
    Task<OperationResult> RunOnceAsync(HttpClient http);
}

internal readonly record struct OperationResult(int Requests, int Code);

internal sealed record Measurement(string Scenario, long Operations, long Requests, TimeSpan Elapsed, double[] LatenciesMs, Dictionary<int, long> Errors, TimeSpan ServerCpu)
{
    public double OperationsPerSecond => Operations / Elapsed.TotalSeconds;
    public double RequestsPerSecond => Requests / Elapsed.TotalSeconds;
    public double CpuMicrosecondsPerRequest => Requests == 0 ? 0 : ServerCpu.TotalMicroseconds / Requests;

    public double Percentile(double p) => LatenciesMs.Length == 0 ? double.NaN : LatenciesMs[Math.Min(LatenciesMs.Length - 1, (int)Math.Ceiling(p * LatenciesMs.Length) - 1)];
}

/// <summary>Closed-loop load (each user sends its next operation when the last one answered), or paced at a fixed rate.</summary>
internal static class Loader
{
    public static HttpClient NewClient(int connections) => new(new SocketsHttpHandler
    {
        MaxConnectionsPerServer = connections,
        PooledConnectionLifetime = Timeout.InfiniteTimeSpan,
        UseProxy = false,
    })
    { Timeout = TimeSpan.FromSeconds(30) };

    public static async Task<Measurement> MeasureAsync(string scenario, HttpClient http, ServerProcess server, IReadOnlyList<IVirtualUser> users,
        TimeSpan warmup, TimeSpan duration, double? operationsPerSecond = null, bool stopWhenIdle = false)
    {
        var recording = 0;
        var stop = 0;
        var latencies = users.Select(_ => new List<double>(100_000)).ToArray();
        var errors = users.Select(_ => new Dictionary<int, long>()).ToArray();
        var requests = new long[users.Count];
        var interval = operationsPerSecond is { } rate ? TimeSpan.FromSeconds(users.Count / rate) : TimeSpan.Zero;

        var loops = users.Select((user, i) => Task.Run(async () =>
        {
            var next = Stopwatch.GetTimestamp() + (long)(interval.TotalSeconds * Stopwatch.Frequency * i / users.Count);
            while (Volatile.Read(ref stop) == 0)
            {
                if (interval > TimeSpan.Zero)
                {
                    var wait = Stopwatch.GetElapsedTime(Stopwatch.GetTimestamp(), next);
                    if (wait > TimeSpan.Zero) await Task.Delay(wait);
                    next += (long)(interval.TotalSeconds * Stopwatch.Frequency);
                }
                var started = Stopwatch.GetTimestamp();
                var result = await user.RunOnceAsync(http);
                if (result.Requests == 0)
                {
                    return; // nothing left to do (cold scenario)
                }
                if (Volatile.Read(ref recording) == 1)
                {
                    latencies[i].Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
                    requests[i] += result.Requests;
                    if (result.Code != 200)
                    {
                        errors[i][result.Code] = errors[i].GetValueOrDefault(result.Code) + 1;
                    }
                }
            }
        })).ToArray();

        await Task.Delay(warmup);
        var cpuBefore = server.CpuTime;
        var clock = Stopwatch.StartNew();
        Volatile.Write(ref recording, 1);
        var all = Task.WhenAll(loops);
        if (stopWhenIdle)
        {
            await Task.WhenAny(all, Task.Delay(duration));
        }
        else
        {
            await Task.Delay(duration);
        }
        Volatile.Write(ref recording, 0);
        var elapsed = clock.Elapsed;
        var cpu = server.CpuTime - cpuBefore;
        Volatile.Write(ref stop, 1);
        await all;

        var merged = latencies.SelectMany(l => l).ToArray();
        Array.Sort(merged);
        var errorCounts = new Dictionary<int, long>();
        foreach (var (code, count) in errors.SelectMany(e => e))
        {
            errorCounts[code] = errorCounts.GetValueOrDefault(code) + count;
        }
        return new Measurement(scenario, merged.Length, requests.Sum(), elapsed, merged, errorCounts, cpu);
    }

    public static async Task<(int Code, JsonElement Body)> PostAsync(HttpClient http, string url, byte[] body)
    {
        using var content = new ByteArrayContent(body);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        using var response = await http.PostAsync(url, content);
        var bytes = await response.Content.ReadAsByteArrayAsync();
        using var document = JsonDocument.Parse(bytes);
        var root = document.RootElement.Clone();
        return (root.GetProperty("status").GetProperty("code").GetInt32(), root);
    }

    public static byte[] Json(string brand, string identifierValue, string deviceId, params (string Name, string Value)[] fields)
    {
        var text = new StringBuilder();
        text.Append($"{{\"brand\":\"{brand}\",\"identifierType\":\"MOBILE\",\"identifierValue\":\"{identifierValue}\",\"deviceId\":\"{deviceId}\"");
        foreach (var (name, value) in fields)
        {
            text.Append($",\"{name}\":\"{value}\"");
        }
        return Encoding.UTF8.GetBytes(text.Append('}').ToString());
    }
}
