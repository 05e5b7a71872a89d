using System.Diagnostics;
using Sessions.Tests.Infrastructure;
using Xunit.Abstractions;

namespace Sessions.Tests.Cluster;

/// <summary>
/// Real silo processes and an API client on one store, killed with SIGKILL as a crashed machine would be: one silo,
/// then every silo at once. Each time every device session regenerates with the last key it was given, within 30 s
/// (README "Run a cluster" has the measured times and the membership settings behind them).
/// </summary>
public sealed class SiloCrashTests(ITestOutputHelper output)
{
    private static readonly TimeSpan HealingBound = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task ASigkilledSiloHealsWithin30SecondsAndItsReplacementLosesNoKey()
    {
        await using var cluster = await ProcessCluster.StartAsync(TestCluster.OnTestStore("kill-one"));
        await cluster.ExplainingFailureAsync(output, async () =>
        {
            var chains = await KeyChains.LogInAsync(cluster.Client, 20);
            await chains.RegenerateAllAsync(cluster.Client, Stopwatch.StartNew(), HealingBound);

            cluster.Kill(1);
            var sinceKill = Stopwatch.StartNew();
            await chains.RegenerateAllAsync(cluster.Client, sinceKill, HealingBound);
            output.WriteLine($"one silo SIGKILLed: every chain regenerated {sinceKill.Elapsed.TotalSeconds:F1} s after the kill");

            await cluster.ReplaceAsync(1);
            await cluster.WaitForActiveSilosAsync();
            await chains.RegenerateAllAsync(cluster.Client, Stopwatch.StartNew(), HealingBound);
        });
    }

    [Fact]
    public async Task AWholeClusterSigkillHealsWithin30SecondsOfTheNewSilosStart()
    {
        await using var cluster = await ProcessCluster.StartAsync(TestCluster.OnTestStore("kill-all"));
        await cluster.ExplainingFailureAsync(output, async () =>
        {
            var chains = await KeyChains.LogInAsync(cluster.Client, 24);
            await chains.RegenerateAllAsync(cluster.Client, Stopwatch.StartNew(), HealingBound);

            cluster.KillAll();
            for (var i = 0; i < cluster.SiloCount; i++)
            {
                await cluster.ReplaceAsync(i);
            }
            var sinceStart = Stopwatch.StartNew();
            await chains.RegenerateAllAsync(cluster.Client, sinceStart, HealingBound);
            output.WriteLine($"every silo SIGKILLed: every chain regenerated {sinceStart.Elapsed.TotalSeconds:F1} s after the new silos started");

            await chains.RegenerateAllAsync(cluster.Client, Stopwatch.StartNew(), TimeSpan.FromSeconds(5));
        });
    }
}
