using Microsoft.Extensions.FileProviders;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Sessions.Silo.Hosting;
using Sessions.Silo.Storage;

namespace Sessions.Tests.Infrastructure;

/// <summary>
/// The Redis the grain tests store state in: the real <c>redis-server</c> named by <c>SESSIONS_TEST_REDIS</c>
/// (host:port) when set, otherwise one in-process Garnet for the whole run. Tests stay apart through a fresh Orleans
/// ServiceId, which prefixes every key.
/// </summary>
public static class TestStore
{
    private static readonly Lazy<string> Connection = new(Start);

    public static string ConnectionString => Connection.Value;

    public static bool IsRealRedis => !string.IsNullOrEmpty(Environment.GetEnvironmentVariable("SESSIONS_TEST_REDIS"));

    /// <summary>
    /// The Redis hash the Orleans Redis provider keeps a grain's state in (fields <c>etag</c> and <c>data</c>); every
    /// grain of this service names its state after its grain type.
    /// </summary>
    public static string StateKey(string serviceId, string grainType, string grainKey) => $"{serviceId}/state/{grainType}/{grainKey}/{grainType}";

    private static string Start()
    {
        if (Environment.GetEnvironmentVariable("SESSIONS_TEST_REDIS") is { Length: > 0 } redis)
        {
            return redis;
        }

        // Nothing crashes this store, so what it acknowledges need not wait for its log. A store that waits holds a pool
        // thread per writing connection until the log commits (EmbeddedGarnet.ListenerMinThreads), and this one shares
        // its process, hence its thread pool, with every host under test: the store-crash and store-load tests run a
        // fully durable store in a process of its own.
        var garnet = StartGarnet(TempDirectory.Create("store"), EmbeddedDurability.Periodic);
        AppDomain.CurrentDomain.ProcessExit += (_, _) => garnet.Dispose();
        return garnet.ConnectionString!;
    }

    /// <summary>
    /// A Garnet of the test's own, reached over Redis only, on <paramref name="dataDirectory"/> (which is where the
    /// embedded default of the same data directory keeps its store), by default committing every write before it answers.
    /// </summary>
    public static EmbeddedGarnet StartGarnet(string dataDirectory, EmbeddedDurability durability = EmbeddedDurability.Acknowledged)
    {
        var garnet = new EmbeddedGarnet(
            Options.Create(new StorageOptions { DataDirectory = dataDirectory, EmbeddedPort = 0, EmbeddedDurability = durability }),
            new TestEnvironment(dataDirectory),
            NullLogger<EmbeddedGarnet>.Instance);
        garnet.EnsureStarted();
        return garnet;
    }

    private sealed class TestEnvironment(string root) : IHostEnvironment
    {
        public string EnvironmentName { get; set; } = Environments.Development;
        public string ApplicationName { get; set; } = "Sessions.Tests";
        public string ContentRootPath { get; set; } = root;
        public IFileProvider ContentRootFileProvider { get; set; } = new NullFileProvider();
    }
}

/// <summary>Settings of a fresh cluster on the test store: its own ClusterId and ServiceId, silos on loopback.</summary>
public static class TestCluster
{
    public static Dictionary<string, string?> OnTestStore(string name) => new()
    {
        ["Sessions:Cluster:ClusterId"] = $"{name}-{Guid.NewGuid():N}",
        ["Sessions:Cluster:ServiceId"] = $"{name}-{Guid.NewGuid():N}",
        ["Sessions:Cluster:AdvertisedAddress"] = "127.0.0.1",
        ["Sessions:Storage:Mode"] = "Redis",
        ["ConnectionStrings:Redis"] = TestStore.ConnectionString,
    };

    /// <summary>One node of <paramref name="cluster"/> in <paramref name="mode"/> (Silo or Client), on ports of its own.</summary>
    public static Dictionary<string, string?> Node(Dictionary<string, string?> cluster, string mode, int? gatewayPort = null) => new(cluster)
    {
        ["Sessions:Cluster:Mode"] = mode,
        ["Sessions:Cluster:SiloPort"] = FreePort.Next().ToString(System.Globalization.CultureInfo.InvariantCulture),
        ["Sessions:Cluster:GatewayPort"] = (gatewayPort ?? FreePort.Next()).ToString(System.Globalization.CultureInfo.InvariantCulture),
    };
}
