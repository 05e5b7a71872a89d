using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using Orleans.Serialization;
using Orleans.TestingHost;
using Sessions.Grains;
using Sessions.Silo.Hosting;
using StackExchange.Redis;

namespace Sessions.Tests.Infrastructure;

/// <summary>
/// Two in-process silos with grain state in Redis (<see cref="TestStore"/>) and a fake clock for the session
/// rules. One per test collection; tests use fresh grain keys, never shared state.
/// </summary>
public sealed class GrainClusterFixture : IAsyncLifetime
{
    public FakeTimeProvider Clock { get; } = new(DateTimeOffset.Parse("2026-11-27T10:00:00Z", System.Globalization.CultureInfo.InvariantCulture));

    public string ServiceId { get; } = $"grain-tests-{Guid.NewGuid():N}";

    public InProcessTestCluster Cluster { get; private set; } = null!;

    public IGrainFactory Grains => Cluster.Client;

    public async Task InitializeAsync() => Cluster = await StartClusterAsync(ServiceId, Clock, silos: 2);

    public async Task DisposeAsync() => await Cluster.DisposeAsync();

    /// <summary>A grain's state as the store holds it, and its size in bytes; null when the store holds none.</summary>
    public async Task<(T State, int Bytes)?> StoredStateAsync<T>(string grainType, string grainKey)
    {
        await using var redis = await ConnectionMultiplexer.ConnectAsync(TestStore.ConnectionString);
        var data = (byte[]?)await redis.GetDatabase().HashGetAsync(TestStore.StateKey(ServiceId, grainType, grainKey), "data");
        return data is null ? null : (Serializer.Deserialize<T>(data)!, data.Length);
    }

    /// <summary>
    /// Writes a grain's state into the store, as an earlier version or an interrupted change left it. The grain must not
    /// be active: its next call activates it from this state.
    /// </summary>
    public async Task StoreStateAsync<T>(string grainType, string grainKey, T state)
    {
        await using var redis = await ConnectionMultiplexer.ConnectAsync(TestStore.ConnectionString);
        await redis.GetDatabase().HashSetAsync(TestStore.StateKey(ServiceId, grainType, grainKey),
            [new("etag", "written-by-test"), new("data", Serializer.SerializeToArray(state))]);
    }

    private Serializer Serializer => Cluster.Client.ServiceProvider.GetRequiredService<Serializer>();

    /// <summary>
    /// A cluster on the shared store, or on <paramref name="store"/> (a connection string); the same
    /// <paramref name="serviceId"/> sees the same state.
    /// </summary>
    public static async Task<InProcessTestCluster> StartClusterAsync(string serviceId, TimeProvider clock, short silos, string? store = null)
    {
        var builder = new InProcessTestClusterBuilder(silos);
        builder.Options.ServiceId = serviceId;
        builder.Options.ConfigureFileLogging = false;
        builder.ConfigureSiloHost((_, host) =>
        {
            var settings = TestBrands.Configuration();
            settings["Sessions:Storage:Mode"] = "Redis";
            settings["ConnectionStrings:Redis"] = store ?? TestStore.ConnectionString;
            host.Configuration.AddInMemoryCollection(settings);
            host.AddSessionsOptions();
            host.Services.AddKeyedSingleton(ServiceKeys.Clock, clock);
        });
        // Two silos, as a deployed cluster: calls between them carry their callers' deadlines.
        builder.ConfigureSilo((_, silo) => silo.AddSessionsGrains().AddCallDeadlines());
        var cluster = builder.Build();
        await cluster.DeployAsync();
        return cluster;
    }
}

[CollectionDefinition(Name)]
public sealed class GrainClusterCollection : ICollectionFixture<GrainClusterFixture>
{
    public const string Name = "grain cluster";
}
