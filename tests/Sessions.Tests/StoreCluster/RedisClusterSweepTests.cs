using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using Orleans.Serialization;
using Sessions.Grains.Contracts;
using Sessions.Grains.Identifiers;
using Sessions.Grains.Identity;
using Sessions.Tests.Infrastructure;
using StackExchange.Redis;

namespace Sessions.Tests.StoreCluster;

/// <summary>
/// The store sweep on a 3+3 Redis Cluster of real processes: a key lives on one primary, and a <c>SCAN</c> sees only the
/// keys of the node it is sent to, so the sweep must go through every primary.
/// </summary>
[Collection(RedisClusterCollection.Name)]
public sealed class RedisClusterSweepTests : OnItsOwnRedisCluster
{
    [RedisClusterFact]
    public async Task TheSweepReachesTheStatesOnEveryPrimary()
    {
        var serviceId = $"sweep-{Guid.NewGuid():N}";
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var cluster = await GrainClusterFixture.StartClusterAsync(serviceId, clock, silos: 1, store: Redis.ConnectionString);
        var serializer = cluster.Client.ServiceProvider.GetRequiredService<Serializer>();
        var ended = new IdentifierState { Failures = [clock.GetUtcNow().AddHours(-2)] };
        var kept = new IdentifierState { CustomerId = "someone" };
        var keys = Enumerable.Range(0, 300).Select(i => TestStore.StateKey(serviceId, "identifier",
            GrainKeys.Identifier(new(TestBrands.Demo, IdentifierType.EMAIL, $"guess{i}@example.com")))).ToList();
        var owned = TestStore.StateKey(serviceId, "identifier", GrainKeys.Identifier(new(TestBrands.Demo, IdentifierType.EMAIL, "owner@example.com")));
        await using var store = await ConnectionMultiplexer.ConnectAsync(Redis.ConnectionString);
        var database = store.GetDatabase();
        await Task.WhenAll(keys.Select(key => database.HashSetAsync(key, [new("etag", "written-by-test"), new("data", serializer.SerializeToArray(ended))])));
        await database.HashSetAsync(owned, [new("etag", "written-by-test"), new("data", serializer.SerializeToArray(kept))]);
        var onEachPrimary = await StatesOnEachPrimaryAsync(store, serviceId);

        var sweep = await cluster.Client.GetGrain<IStoreSweepGrain>(IStoreSweepGrain.Key).SweepAsync();

        Assert.Equal(3, onEachPrimary.Count);
        Assert.All(onEachPrimary, count => Assert.True(count > 0));
        Assert.Equal(keys.Count, sweep.Removed);
        Assert.Equal(keys.Count + 1, sweep.Read);
        Assert.All(await Task.WhenAll(keys.Select(key => database.KeyExistsAsync(key))), Assert.False);
        Assert.True(await database.KeyExistsAsync(owned), "an owned identifier stays");
    }

    private static async Task<List<int>> StatesOnEachPrimaryAsync(ConnectionMultiplexer store, string serviceId)
    {
        var counts = new List<int>();
        foreach (var primary in store.GetServers().Where(s => !s.IsReplica))
        {
            counts.Add(await primary.KeysAsync(pattern: $"{serviceId}/state/identifier/*").CountAsync());
        }
        return counts;
    }
}
