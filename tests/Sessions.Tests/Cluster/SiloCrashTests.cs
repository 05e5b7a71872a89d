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
        var settings = TestCluster.OnTestStore("kill-one");
        var silos = SiloProcess.StartMany(settings, 2);
        await using var api = ClusterApi.Start(settings);
        try
        {
            var client = api.CreateSessionsClient();
            await ClusterApi.WaitForActiveSilosAsync(api, 2);
            var chains = await KeyChains.LogInAsync(client, 20);
            await chains.RegenerateAllAsync(client, Stopwatch.StartNew(), HealingBound);

            silos[1].Kill();
            var sinceKill = Stopwatch.StartNew();
            await chains.RegenerateAllAsync(client, sinceKill, HealingBound);
            output.WriteLine($"one silo SIGKILLed: every chain regenerated {sinceKill.Elapsed.TotalSeconds:F1} s after the kill");

            silos[1] = SiloProcess.Start(settings);
            await ClusterApi.WaitForActiveSilosAsync(api, 2);
            await chains.RegenerateAllAsync(client, Stopwatch.StartNew(), HealingBound);
        }
        finally
        {
            await DisposeAllAsync(silos);
        }
    }

    [Fact]
    public async Task AWholeClusterSigkillHealsWithin30SecondsOfTheNewSilosStart()
    {
        var settings = TestCluster.OnTestStore("kill-all");
        var silos = SiloProcess.StartMany(settings, 2);
        await using var api = ClusterApi.Start(settings);
        try
        {
            var client = api.CreateSessionsClient();
            await ClusterApi.WaitForActiveSilosAsync(api, 2);
            var chains = await KeyChains.LogInAsync(client, 24);
            await chains.RegenerateAllAsync(client, Stopwatch.StartNew(), HealingBound);

            foreach (var silo in silos)
            {
                silo.Kill();
            }
            await DisposeAllAsync(silos);
            silos = SiloProcess.StartMany(settings, 2);
            var sinceStart = Stopwatch.StartNew();
            await chains.RegenerateAllAsync(client, sinceStart, HealingBound);
            output.WriteLine($"every silo SIGKILLed: every chain regenerated {sinceStart.Elapsed.TotalSeconds:F1} s after the new silos started");

            await chains.RegenerateAllAsync(client, Stopwatch.StartNew(), TimeSpan.FromSeconds(5));
        }
        finally
        {
            await DisposeAllAsync(silos);
        }
    }

    private static async Task DisposeAllAsync(IEnumerable<SiloProcess> silos)
    {
        foreach (var silo in silos)
        {
            await silo.DisposeAsync();
        }
    }
}
