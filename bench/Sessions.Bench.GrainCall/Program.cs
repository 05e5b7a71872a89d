using System.Diagnostics;
using System.Globalization;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Orleans.Metadata;

// What a co-hosted grain call costs when nothing else runs: 32 callers in a loop, as the API's requests call their
// device sessions' grains, against two thread-pool hops (the least a call to another scheduler can cost). The API's
// bench measures the same call in place (docs/performance-log.md, What the grain call costs in place); the
// difference is what the rest of a request does to the caches between two calls.
if (args.Length > 2
    || !double.TryParse(args.ElementAtOrDefault(0) ?? "6", NumberStyles.Float, CultureInfo.InvariantCulture, out var seconds) || seconds <= 0
    || !int.TryParse(args.ElementAtOrDefault(1) ?? "3", NumberStyles.Integer, CultureInfo.InvariantCulture, out var rounds) || rounds < 1)
{
    Console.Error.WriteLine("Usage: Sessions.Bench.GrainCall [seconds per run, above 0 (6)] [rounds, at least 1 (3)]");
    return 2;
}

var builder = Host.CreateApplicationBuilder();
builder.Logging.ClearProviders();
builder.UseOrleans(silo => silo.UseLocalhostClustering());
using var host = builder.Build();
await host.StartAsync();

var grains = host.Services.GetRequiredService<IGrainFactory>();
var pingInterface = host.Services.GetRequiredService<GrainInterfaceTypeResolver>().GetGrainInterfaceType(typeof(IPingGrain));
var keys = Enumerable.Range(0, 64).Select(i => $"BENCH/MOBILE/1876555{i:D4}/device-{i}").ToArray();
var references = keys.Select(key => grains.GetGrain<IPingGrain>(key)).ToArray();
foreach (var reference in references)
{
    await reference.PingAsync(0);
}

var ways = new (string Name, Func<int, Task> Call)[]
{
    ("two thread-pool hops", async _ => { await Task.Yield(); await Task.Yield(); }),
    ("grain call, reference made as the API does", i => ((IPingGrain)grains.GetGrain(GrainId.Create(PingGrain.Type, keys[i & 63]), pingInterface)).PingAsync(i)),
    ("grain call, reference kept", i => references[i & 63].PingAsync(i)),
};
Console.WriteLine($"32 callers, 64 grains, {seconds} s per run, {rounds} rounds; {Environment.ProcessorCount} cores, .NET {Environment.Version}");
var cpuPerCall = ways.ToDictionary(w => w.Name, _ => new List<double>());
for (var round = 0; round < rounds; round++)
{
    foreach (var (name, call) in ways)
    {
        await RunAsync(call, TimeSpan.FromSeconds(1));
        var (calls, cpu) = await RunAsync(call, TimeSpan.FromSeconds(seconds));
        cpuPerCall[name].Add(cpu);
        Console.WriteLine($"  {name,-44} {calls,12:N0} calls/s {cpu,8:F2} µs CPU/call");
    }
}
Console.WriteLine("Median µs of CPU per call [lowest–highest]:");
foreach (var (name, figures) in cpuPerCall)
{
    figures.Sort();
    Console.WriteLine($"  {name,-44} {figures[figures.Count / 2],6:F2} [{figures[0]:F2}–{figures[^1]:F2}]");
}
await host.StopAsync();
return 0;

static async Task<(double CallsPerSecond, double CpuMicrosecondsPerCall)> RunAsync(Func<int, Task> call, TimeSpan duration)
{
    using var stop = new CancellationTokenSource(duration);
    var counts = new long[32];
    using var process = Process.GetCurrentProcess();
    var cpuBefore = process.TotalProcessorTime;
    var clock = Stopwatch.StartNew();
    await Task.WhenAll(Enumerable.Range(0, counts.Length).Select(caller => Task.Run(async () =>
    {
        var calls = 0L;
        while (!stop.IsCancellationRequested)
        {
            await call(caller + (int)calls);
            calls++;
        }
        counts[caller] = calls;
    })));
    var elapsed = clock.Elapsed.TotalSeconds;
    process.Refresh();
    var total = counts.Sum();
    return (total / elapsed, (process.TotalProcessorTime - cpuBefore).TotalMicroseconds / total);
}

public interface IPingGrain : IGrainWithStringKey
{
    Task<int> PingAsync(int value);
}

[GrainType(TypeName)]
public sealed class PingGrain : Grain, IPingGrain
{
    public const string TypeName = "ping";

    public static readonly GrainType Type = GrainType.Create(TypeName);

    public Task<int> PingAsync(int value) => Task.FromResult(value + 1);
}
