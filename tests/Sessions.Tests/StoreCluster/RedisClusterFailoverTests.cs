using System.Diagnostics;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Orleans.Persistence.Redis;
using Sessions.Grains.Identity;
using Sessions.Tests.Infrastructure;
using Xunit.Abstractions;
using Xunit.Sdk;

namespace Sessions.Tests.StoreCluster;

/// <summary>
/// Grain state on a 3-primary, 3-replica Redis Cluster of real processes, with replica acknowledgements on
/// (Sessions:Storage:RequireReplicaAcks=1): whatever the cluster goes through under a rotating load (a primary killed,
/// a stale replica promoted, a replica frozen, a graceful failover, a shard added and resharded), every rotation a
/// client was told about still works afterwards: no chain breaks; and a reminder, like a rotation, counts only once a
/// replica holds it. A node that is killed is started again, as its supervisor would: a shard whose only replica is
/// gone refuses rotations (1599) until one is back.
/// </summary>
[Collection(RedisClusterCollection.Name)]
public sealed class RedisClusterFailoverTests(ITestOutputHelper output) : IAsyncLifetime
{
    private const int Chains = 60;
    // From a whole store to every chain regenerated: well under a second here, so a client that stays on a stale route fails it.
    private static readonly TimeSpan Recovery = TimeSpan.FromSeconds(15);

    private readonly string _serviceId = $"store-cluster-{Guid.NewGuid():N}";
    private readonly CapturedLogs _logs = new();
    private RedisCluster _redis = null!;
    private ApiFactory _api = null!;
    private SessionsClient _client = null!;
    private KeyChains _chains = null!;

    public async Task InitializeAsync()
    {
        if (!RedisCluster.IsAvailable)
        {
            return;
        }
        _redis = await RedisCluster.StartAsync();
        _api = new ApiFactory(settings: new()
        {
            ["Sessions:Storage:Mode"] = "Redis",
            ["ConnectionStrings:Redis"] = _redis.ConnectionString,
            ["Sessions:Storage:RequireReplicaAcks"] = "1",
            ["Sessions:Cluster:ServiceId"] = _serviceId,
        }, services: s => s.AddSingleton<ILoggerProvider>(_logs));
        _client = _api.CreateSessionsClient();
        try
        {
            _chains = await KeyChains.LogInAsync(_client, Chains, retryUnavailable: true);
            output.WriteLine($"set-up: {Chains} chains logged in, {_chains.LoginsRefused} login(s) answered 1599 and made again");
        }
        catch (Exception e) when (e is XunitException or HttpRequestException)
        {
            // A set-up that failed stops its cluster itself: its six nodes outlived such a run (seen on 2026-12-05).
            var explained = $"{e.Message}\nthe API's last warnings:\n{string.Join('\n', _logs.LastWarnings(10))}\nthe store:\n{await _redis.DescribeAsync()}";
            await DisposeAsync();
            throw new XunitException($"logging the chains in failed: {explained}");
        }
    }

    public async Task DisposeAsync()
    {
        if (_api is not null)
        {
            await _api.DisposeAsync();
            _api = null!;
        }
        if (_redis is not null)
        {
            await _redis.DisposeAsync();
            _redis = null!;
        }
    }

    [RedisClusterFact]
    public async Task DeviceSessionsSpreadOverEveryShardAndNoIdentifierPinsItsKeyToOneSlot()
    {
        var primaries = await Task.WhenAll(Enumerable.Range(0, Chains).Select(PrimaryOfChainAsync));
        var tagged = TestDevice.NewEmail() with { IdentifierValue = $"a{{tag}}-{Guid.NewGuid():N}@example.com" };
        await _client.LoginAsync(tagged);
        var taggedKey = StateKey(new Identifier(tagged.Brand, IdentifierType.EMAIL, tagged.IdentifierValue), tagged.DeviceId!);

        Assert.Equal(3, primaries.Distinct().Count());
        Assert.DoesNotContain('{', taggedKey);
        Assert.Contains("%7Btag%7D", taggedKey, StringComparison.Ordinal);
    }

    [RedisClusterFact]
    public async Task APrimaryKilledUnderRotatingLoadLosesNoAcknowledgedRotation()
    {
        using var stop = new CancellationTokenSource();
        var load = _chains.RotateUntilAsync(_client, stop.Token);
        await Task.Delay(TimeSpan.FromSeconds(2));
        var victim = await PrimaryOfChainAsync(0);
        var replica = await _redis.ReplicaOfAsync(victim);

        await _redis.KillAsync(victim);
        var sinceKill = Stopwatch.StartNew();
        await _redis.WaitForPrimaryAsync(replica);
        var promoted = sinceKill.Elapsed;
        // Its supervisor starts the dead node again; it rejoins as the new primary's replica. Until then that shard has
        // no replica to acknowledge a write, so its rotations are refused (1599), never lost.
        await _redis.RestartAsync(victim);
        await Task.Delay(TimeSpan.FromSeconds(2));
        stop.Cancel();
        var log = await load;
        await RecoverAsync();

        Assert.Empty(log.Broken);
        output.WriteLine($"{log}; the replica was promoted {promoted.TotalSeconds:F1} s after the SIGKILL, every chain regenerated "
            + $"with its last key {sinceKill.Elapsed.TotalSeconds:F1} s after it");
    }

    [RedisClusterFact]
    public async Task AStaleReplicaPromotedAfterItsPrimaryWorkedAloneBreaksNoChain()
    {
        var primary = await PrimaryOfChainAsync(0);
        var replica = await _redis.ReplicaOfAsync(primary);
        var onThatShard = await ChainsOnAsync(primary);
        using var stop = new CancellationTokenSource();
        var load = _chains.RotateUntilAsync(_client, stop.Token);
        await Task.Delay(TimeSpan.FromSeconds(1));

        // The failure: the replica stops, its primary drops the link and goes on alone for 6 s, then dies, and
        // the replica, which has none of those 6 s, is promoted.
        _redis.Freeze(replica);
        await _redis.DisconnectReplicasAsync(primary);
        var aloneFrom = DateTime.UtcNow;
        await Task.Delay(TimeSpan.FromSeconds(6));
        await _redis.KillAsync(primary);
        var aloneUntil = DateTime.UtcNow;
        _redis.Thaw(replica);
        var sinceKill = Stopwatch.StartNew();
        await _redis.WaitForPrimaryAsync(replica);
        // The old primary comes back as the new one's replica: what it did alone is discarded by the full resync.
        await _redis.RestartAsync(primary);
        await Task.Delay(TimeSpan.FromSeconds(2));
        stop.Cancel();
        var log = await load;
        await RecoverAsync();

        Assert.Empty(log.Broken);
        // Grace: a rotation acknowledged just before the freeze may be answered just after the instant taken here.
        Assert.All(onThatShard, chain => Assert.Equal(0, log.AcknowledgedBetween(chain, aloneFrom.AddMilliseconds(500), aloneUntil)));
        output.WriteLine($"{log}; {onThatShard.Count} chains on the shard whose primary worked alone for 6 s got no rotation acknowledged "
            + $"in that time, and every chain regenerated {sinceKill.Elapsed.TotalSeconds:F1} s after the stale replica's promotion began");
    }

    [RedisClusterFact]
    public async Task AFrozenReplicaStopsItsShardsRotationsUntilItReturns()
    {
        var primary = await PrimaryOfChainAsync(0);
        var replica = await _redis.ReplicaOfAsync(primary);
        var onThatShard = await ChainsOnAsync(primary);
        var held = _chains.Keys.ToArray();

        _redis.Freeze(replica);
        var answers = await Task.WhenAll(Enumerable.Range(0, Chains).Select(i => _chains.RegenerateAsync(_client, i)));
        var whileFrozen = _chains.Keys.ToArray();
        _redis.Thaw(replica);
        await RecoverAsync();

        Assert.NotEmpty(onThatShard);
        Assert.All(onThatShard, chain => Assert.Equal(1599, answers[chain].Code));
        Assert.All(onThatShard, chain => Assert.Equal(held[chain], whileFrozen[chain]));
        Assert.All(Enumerable.Range(0, Chains).Except(onThatShard), chain => Assert.True(answers[chain].Success, answers[chain].Body.ToString()));
    }

    [RedisClusterFact]
    public async Task AReminderWriteCountsOnlyOnceAReplicaOfItsShardHoldsIt()
    {
        // The reminder that keeps a customer's security events on their way, as the history registers it.
        var table = _api.Services.GetRequiredService<IReminderTable>();
        var reminder = new ReminderEntry
        {
            GrainId = GrainId.Create("customer-history", $"DEMO/{Guid.NewGuid():N}"),
            ReminderName = "security-events-webhook",
            StartAt = DateTime.UtcNow,
            Period = TimeSpan.FromMinutes(1),
        };
        var replica = await _redis.ReplicaOfAsync(await _redis.PrimaryOfAsync($"{_serviceId}/reminders"));

        _redis.Freeze(replica);
        Exception? whileFrozen;
        try
        {
            whileFrozen = await Record.ExceptionAsync(() => table.UpsertRow(reminder));
        }
        finally
        {
            _redis.Thaw(replica);
        }
        var eTag = await table.UpsertRow(reminder);

        Assert.IsType<RedisStorageException>(whileFrozen);
        Assert.NotNull(eTag);
        Assert.Equal(eTag, (await table.ReadRow(reminder.GrainId, reminder.ReminderName))?.ETag);
    }

    [RedisClusterFact]
    public async Task AGracefulFailoverUnderRotatingLoadFailsNoChain()
    {
        var replica = await _redis.ReplicaOfAsync(await PrimaryOfChainAsync(0));
        using var stop = new CancellationTokenSource();
        var load = _chains.RotateUntilAsync(_client, stop.Token);
        await Task.Delay(TimeSpan.FromSeconds(2));

        var clock = Stopwatch.StartNew();
        await _redis.FailOverToAsync(replica);
        await Task.Delay(TimeSpan.FromSeconds(2));
        stop.Cancel();
        var log = await load;
        await RecoverAsync();

        Assert.Empty(log.Broken);
        output.WriteLine($"graceful failover: {log}; every chain regenerated {clock.Elapsed.TotalSeconds:F1} s after it began");
    }

    [RedisClusterFact]
    public async Task AWriteThatReachesTheFailedOverPrimaryHasTheSlotMapReadAgain()
    {
        var primary = await PrimaryOfChainAsync(0);
        var onThatShard = await ChainsOnAsync(primary);
        await _redis.FailOverToAsync(await _redis.ReplicaOfAsync(primary));
        await _redis.WaitUntilHealthyAsync(3);

        // Nothing ran during the failover, so the service's client still routes the shard's slots to the old primary,
        // now a replica that answers the write script with READONLY and WAIT with an error, never MOVED: the first
        // refused write has the client read the cluster's layout again, and the retries land on the new primary.
        var clock = Stopwatch.StartNew();
        await _chains.RegenerateAllAsync(_client, clock, TimeSpan.FromSeconds(5));

        Assert.Contains(_logs.Entries, e => e.EventId.Id == 2003);
        output.WriteLine($"{onThatShard.Count} chains on the failed-over shard regenerated within {clock.Elapsed.TotalSeconds:F1} s, "
            + $"after {_logs.Entries.Count(e => e.EventId.Id == 2003)} refresh(es) of the slot map");
    }

    [RedisClusterFact]
    public async Task AShardAddedAndReshardedUnderRotatingLoadFailsNoChain()
    {
        using var stop = new CancellationTokenSource();
        var load = _chains.RotateUntilAsync(_client, stop.Token);
        await Task.Delay(TimeSpan.FromSeconds(1));

        var clock = Stopwatch.StartNew();
        await _redis.AddShardAsync(slots: 4096);
        var resharded = clock.Elapsed;
        await Task.Delay(TimeSpan.FromSeconds(1));
        stop.Cancel();
        var log = await load;
        await RecoverAsync(primaries: 4);
        var primaries = await Task.WhenAll(Enumerable.Range(0, Chains).Select(PrimaryOfChainAsync));

        Assert.Empty(log.Broken);
        Assert.Equal(4, primaries.Distinct().Count());
        output.WriteLine($"a fourth shard took 4096 slots in {resharded.TotalSeconds:F1} s under load: {log}");
    }

    /// <summary>
    /// Once the store is whole again (every node says ok and every primary streams to a replica), every chain regenerates
    /// with the last key it was given within <see cref="Recovery"/>. How long Redis takes to heal is its own affair and
    /// swings with the host's load; what counts here is that no rotation was lost and that the service follows the store
    /// back.
    /// </summary>
    private async Task RecoverAsync(int primaries = 3)
    {
        var healing = Stopwatch.StartNew();
        await _redis.WaitUntilHealthyAsync(primaries);
        var healed = healing.Elapsed;
        var recovering = Stopwatch.StartNew();
        try
        {
            await _chains.RegenerateAllAsync(_client, recovering, Recovery);
        }
        catch (XunitException e)
        {
            throw new XunitException($"{e.Message}, after the store was whole again ({healed.TotalSeconds:F1} s to heal); the store now:\n{await _redis.DescribeAsync()}");
        }
        output.WriteLine($"the store was whole {healed.TotalSeconds:F1} s after the test's last change, every chain regenerated {recovering.Elapsed.TotalSeconds:F1} s later");
    }

    private Task<int> PrimaryOfChainAsync(int chain)
    {
        var device = _chains.Devices[chain];
        return _redis.PrimaryOfAsync(StateKey(new Identifier(device.Brand, IdentifierType.MOBILE, device.IdentifierValue), device.DeviceId!));
    }

    private async Task<List<int>> ChainsOnAsync(int primary) =>
        [.. (await Task.WhenAll(Enumerable.Range(0, Chains).Select(async i => (Chain: i, Primary: await PrimaryOfChainAsync(i))))).Where(c => c.Primary == primary).Select(c => c.Chain)];

    private string StateKey(Identifier identifier, string deviceId) =>
        TestStore.StateKey(_serviceId, "device-session", GrainKeys.DeviceSession(identifier, deviceId));
}
