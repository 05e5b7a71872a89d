using System.Diagnostics;
using System.Net;
using Sessions.Tests.Infrastructure;
using Xunit.Abstractions;

namespace Sessions.Tests.Cluster;

/// <summary>
/// The embedded default (<c>EmbeddedDurability=Acknowledged</c>: group commit, fully durable) SIGKILLed
/// while its device sessions rotate keys as fast as they can: API, silo and store die together, with no checkpoint.
/// Started again on the same data, every device session regenerates with the last key it was given. Frozen (SIGSTOP)
/// instead, and thawed, it revokes nothing, though its calls carry no deadlines.
/// </summary>
public sealed class EmbeddedCrashTests(ITestOutputHelper output)
{
    [Fact]
    public async Task AFullyDurableEmbeddedProcessKilledMidRotationLosesNoKeyItHandedOut()
    {
        await using var api = new ApiProcess(new() { ["Sessions:Storage:EmbeddedDurability"] = "Acknowledged" });
        await api.StartAsync();
        var client = api.Client;
        var chains = await KeyChains.LogInAsync(client, 16);

        // Every chain rotates in a loop; the kill lands in the middle of their writes and commits.
        using var stop = new CancellationTokenSource();
        var rotations = 0;
        var rotating = Enumerable.Range(0, chains.Count).Select(i => Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                try
                {
                    if ((await chains.RegenerateAsync(client, i)).Status == HttpStatusCode.OK)
                    {
                        Interlocked.Increment(ref rotations);
                    }
                }
                catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
                {
                    return; // the process is gone: this chain keeps the last key it was handed
                }
            }
        })).ToArray();
        await Task.Delay(TimeSpan.FromSeconds(2));
        await api.KillAsync();
        stop.Cancel();
        await Task.WhenAll(rotating);
        Assert.True(rotations > chains.Count, $"only {rotations} rotations before the kill");

        await api.StartAsync();
        var sinceRestart = Stopwatch.StartNew();
        await chains.RegenerateAllAsync(client, sinceRestart, TimeSpan.FromSeconds(30));
        output.WriteLine($"{rotations} rotations acknowledged before the SIGKILL; after the restart every one of {chains.Count} chains "
            + $"regenerated with its last key in {sinceRestart.Elapsed.TotalSeconds:F1} s");
    }

    [Fact]
    public async Task AnEmbeddedProcessFrozenMidRotationRevokesNothingWhenItThaws()
    {
        await using var api = new ApiProcess([]);
        await api.StartAsync();
        var client = api.Client;
        var chains = await KeyChains.LogInAsync(client, 16);

        // The freeze lands while regenerates wait in their grains' queues, and outlasts their 3 s timeout: thawed, the
        // API may give up on one and try again with the same key. The call it gave up on is ahead of that try in the
        // same queue, in the same process, so it cannot run after its app has moved on.
        using var stop = new CancellationTokenSource();
        var rotating = chains.RotateUntilAsync(client, stop.Token);
        await Task.Delay(TimeSpan.FromSeconds(2));
        api.Freeze();
        await Task.Delay(TimeSpan.FromSeconds(5));
        api.Thaw();
        await Task.Delay(TimeSpan.FromSeconds(3));
        stop.Cancel();
        var log = await rotating;

        output.WriteLine($"frozen for 5 s mid-rotation: {log}");
        Assert.Empty(log.Broken);
        await chains.RegenerateAllAsync(client, Stopwatch.StartNew(), TimeSpan.FromSeconds(10));
    }
}
