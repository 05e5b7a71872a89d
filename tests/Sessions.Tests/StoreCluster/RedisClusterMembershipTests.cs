using System.Diagnostics;
using Sessions.Tests.Infrastructure;
using Xunit.Abstractions;

namespace Sessions.Tests.StoreCluster;

/// <summary>
/// Silo processes whose membership table, like their grain state, lives on a 3+3 Redis Cluster of real processes. The
/// table's rows are written by scripts, which a failed-over primary back as a replica answers with READONLY, never
/// MOVED: a silo's membership connection must read the cluster's layout again, or the cluster could not record a
/// crash until the client happened to.
/// </summary>
[Collection(RedisClusterCollection.Name)]
public sealed class RedisClusterMembershipTests(ITestOutputHelper output) : OnItsOwnRedisCluster
{
    private static readonly TimeSpan HealingBound = TimeSpan.FromSeconds(30);

    private readonly string _clusterId = $"membership-{Guid.NewGuid():N}";
    private readonly string _serviceId = $"membership-{Guid.NewGuid():N}";

    [RedisClusterFact]
    public async Task ASiloCrashAfterTheMembershipShardFailedOverIsRecordedAndHealed()
    {
        await using var cluster = await ProcessCluster.StartAsync(new()
        {
            ["Sessions:Cluster:ClusterId"] = _clusterId,
            ["Sessions:Cluster:ServiceId"] = _serviceId,
            ["Sessions:Cluster:AdvertisedAddress"] = "127.0.0.1",
            ["Sessions:Storage:Mode"] = "Redis",
            ["ConnectionStrings:Redis"] = Redis.ConnectionString,
            ["Sessions:Storage:RequireReplicaAcks"] = "1",
        });
        // Whichever step fails, the output has the API's warnings, each silo's last lines and the store's state.
        await cluster.ExplainingFailureAsync(output, async () =>
        {
            var chains = await KeyChains.LogInAsync(cluster.Client, 20);
            var membershipPrimary = await Redis.PrimaryOfAsync($"{_serviceId}/members/{_clusterId}");
            await Redis.FailOverToAsync(await Redis.ReplicaOfAsync(membershipPrimary));
            await Redis.WaitUntilHealthyAsync(3);

            // The survivor declares the dead silo dead in the table, through the route it had before the failover; the
            // replacement joins, and the API sees two active silos again only once both rows are written.
            cluster.Kill(1);
            var sinceKill = Stopwatch.StartNew();
            await HealsAsync(cluster, chains, sinceKill);
            var served = sinceKill.Elapsed;
            await cluster.ReplaceAsync(1);
            await cluster.WaitForActiveSilosAsync();
            await chains.RegenerateAllAsync(cluster.Client, Stopwatch.StartNew(), HealingBound);

            // Quiet again: the layout is read again when it changes, not over and over.
            await Task.Delay(TimeSpan.FromSeconds(5));
            var refreshes = cluster.SiloOutput(0).Split('\n').Count(l => l.Contains("of the membership store", StringComparison.Ordinal));
            Assert.InRange(refreshes, 1, 5);

            // The API found the replacement's gateway in the table after the failover: with the first silo gone as well, it
            // reaches the cluster through that gateway alone.
            cluster.Kill(0);
            var sinceSecondKill = Stopwatch.StartNew();
            await HealsAsync(cluster, chains, sinceSecondKill);
            output.WriteLine($"after a failover of the membership shard, a SIGKILLed silo: every chain regenerated {served.TotalSeconds:F1} s "
                + $"after the kill; the survivor read the membership store's layout again {refreshes} time(s); with the other silo "
                + $"killed too, the API reached the replacement and every chain regenerated {sinceSecondKill.Elapsed.TotalSeconds:F1} s after it");
        }, Redis.DescribeAsync);
    }

    private async Task HealsAsync(ProcessCluster cluster, KeyChains chains, Stopwatch sinceKill)
    {
        try
        {
            await chains.RegenerateAllAsync(cluster.Client, sinceKill, HealingBound);
        }
        catch (Xunit.Sdk.XunitException e)
        {
            output.WriteLine($"{sinceKill.Elapsed.TotalSeconds:F1} s after the kill: {e.Message}");
            throw;
        }
    }
}
