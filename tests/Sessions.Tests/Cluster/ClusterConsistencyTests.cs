using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using Orleans.Storage;
using Sessions.Grains;
using Sessions.Grains.Contracts;
using Sessions.Grains.Identity;
using Sessions.Tests.Infrastructure;
using StackExchange.Redis;

namespace Sessions.Tests.Cluster;

/// <summary>
/// Key rotation across several silos: storms from every silo, a silo killed mid-traffic, another writer racing the
/// grain. Each test has its own cluster (they kill silos) on the shared store, under its own ServiceId.
/// </summary>
public sealed class ClusterConsistencyTests
{
    private readonly FakeTimeProvider _clock = new(DateTimeOffset.Parse("2026-11-27T10:00:00Z", System.Globalization.CultureInfo.InvariantCulture));

    [Fact]
    public async Task RegenerateStormsFromEverySiloAgreeOnOneSuccessor()
    {
        await using var cluster = await GrainClusterFixture.StartClusterAsync($"storm-{Guid.NewGuid():N}", _clock, silos: 3);
        var callers = cluster.Silos.Select(s => cluster.GetSiloServiceProvider(s.SiloAddress).GetRequiredService<IGrainFactory>()).Append(cluster.Client).ToArray();
        var (key, grant) = await GrainLogins.MfaAsync(cluster.Client);

        var grants = await Task.WhenAll(Enumerable.Range(0, 40).Select(i =>
            callers[i % callers.Length].GetGrain<IDeviceSessionGrain>(key).RegenerateAsync(SessionFlow.Mfa, grant.FamilyId, grant.Key!.KeyId)));

        Assert.All(grants, g => Assert.Equal(AuthError.None, g.Error));
        Assert.Single(grants.Select(g => g.Key!.KeyId).Distinct());
    }

    [Fact]
    public async Task AKilledSiloLosesNoKeyAndRevivesNoRevokedFamily()
    {
        await using var cluster = await GrainClusterFixture.StartClusterAsync($"kill-{Guid.NewGuid():N}", _clock, silos: 3);
        var devices = await Task.WhenAll(Enumerable.Range(0, 12).Select(_ => GrainLogins.MfaAsync(cluster.Client)));
        var revoked = await GrainLogins.MfaAsync(cluster.Client);
        await cluster.Client.GetGrain<IDeviceSessionGrain>(revoked.Key).ExpireMfaFamilyAsync(revoked.Grant.FamilyId);
        var latest = devices.Select(d => d.Grant.Key!).ToArray();

        using var stop = new CancellationTokenSource();
        var traffic = Task.WhenAll(devices.Select((d, i) => Task.Run(async () =>
        {
            var grain = cluster.Client.GetGrain<IDeviceSessionGrain>(d.Key);
            for (var round = 0; round < 200 && !stop.IsCancellationRequested; round++)
            {
                var next = await GrainLogins.RetryingAsync(() => grain.RegenerateAsync(SessionFlow.Mfa, d.Grant.FamilyId, latest[i].KeyId));
                Assert.Equal(AuthError.None, next.Error);
                latest[i] = next.Key!;
            }
        })));
        await Task.Delay(300);
        await cluster.KillSiloAsync(cluster.Silos[^1]);
        await Task.Delay(300);
        await stop.CancelAsync();
        await traffic;

        for (var i = 0; i < devices.Length; i++)
        {
            var grain = cluster.Client.GetGrain<IDeviceSessionGrain>(devices[i].Key);
            var after = await GrainLogins.RetryingAsync(() => grain.RegenerateAsync(SessionFlow.Mfa, devices[i].Grant.FamilyId, latest[i].KeyId));
            Assert.Equal(AuthError.None, after.Error);
        }
        var stillRevoked = await cluster.Client.GetGrain<IDeviceSessionGrain>(revoked.Key)
            .RegenerateAsync(SessionFlow.Mfa, revoked.Grant.FamilyId, revoked.Grant.Key!.KeyId);
        Assert.Equal(AuthError.InvalidKey, stillRevoked.Error);
    }

    [Fact]
    public async Task AConcurrentWriterMakesTheRotationFailAndIssuesNoSuccessor()
    {
        var serviceId = $"etag-{Guid.NewGuid():N}";
        await using var cluster = await GrainClusterFixture.StartClusterAsync(serviceId, _clock, silos: 2);
        var (key, grant) = await GrainLogins.MfaAsync(cluster.Client);
        var grain = cluster.Client.GetGrain<IDeviceSessionGrain>(key);

        // What a duplicate activation's earlier write looks like to this one: the stored ETag moved on.
        await using var redis = await ConnectionMultiplexer.ConnectAsync(TestStore.ConnectionString);
        await redis.GetDatabase().HashSetAsync(TestStore.StateKey(serviceId, "device-session", key), "etag", "written-by-another-activation");
        var conflict = await Record.ExceptionAsync(() => grain.RegenerateAsync(SessionFlow.Mfa, grant.FamilyId, grant.Key!.KeyId));
        var afterConflict = await grain.RegenerateAsync(SessionFlow.Mfa, grant.FamilyId, grant.Key!.KeyId);
        var replayOfFirstAnswer = await grain.RegenerateAsync(SessionFlow.Mfa, grant.FamilyId, grant.Key.KeyId);

        Assert.IsType<InconsistentStateException>(conflict);
        Assert.Equal(AuthError.None, afterConflict.Error);
        Assert.Equal(afterConflict.Key, replayOfFirstAnswer.Key);
    }
}
