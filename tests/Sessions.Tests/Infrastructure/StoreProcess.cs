using System.Diagnostics;
using System.Globalization;
using StackExchange.Redis;

namespace Sessions.Tests.Infrastructure;

/// <summary>
/// A store of its own in its own process, so that a test can SIGKILL it and start it again on the same port and
/// data: <c>redis-server</c> with <c>appendfsync always</c> when the run targets real Redis (<see cref="TestStore.IsRealRedis"/>),
/// else the embedded Garnet (<c>Sessions.Silo store</c>) with <c>EmbeddedDurability=Acknowledged</c>. Both
/// acknowledge a write only once it is in the log, so a crash loses nothing acknowledged.
/// </summary>
public sealed class StoreProcess : IAsyncDisposable
{
    private readonly string _directory = TempDirectory.Create("store-process");
    private ChildProcess? _process;

    public int Port { get; } = FreePort.Next();

    /// <summary>The store's password (<c>requirepass</c>), as a production store has one.</summary>
    public string Password { get; } = "store-" + Guid.NewGuid().ToString("N");

    public string ConnectionString => $"127.0.0.1:{Port},password={Password}";

    public string Kind => TestStore.IsRealRedis ? "redis-server" : "embedded Garnet";

    /// <summary>Settings of a fresh cluster whose grain state and membership live in this store.</summary>
    public Dictionary<string, string?> ClusterSettings(string name)
    {
        var settings = TestCluster.OnTestStore(name);
        settings["ConnectionStrings:Redis"] = ConnectionString;
        return settings;
    }

    public async Task StartAsync()
    {
        if (_process is not null)
        {
            await _process.DisposeAsync();
        }
        _process = ChildProcess.Start(TestStore.IsRealRedis ? RedisServer() : EmbeddedGarnet(), keptLines: 200);
        await _process.WaitUntilReadyAsync(Kind, AnswersAsync);
    }

    /// <summary>SIGKILL: no shutdown, no final flush, as a crashed machine.</summary>
    public async Task KillAsync()
    {
        if (_process is not null)
        {
            await _process.KillAsync();
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_process is not null)
        {
            await _process.DisposeAsync();
        }
        TempDirectory.Delete(_directory);
    }

    private async Task<bool> AnswersAsync()
    {
        try
        {
            await using var redis = await ConnectionMultiplexer.ConnectAsync(ConnectionString + ",connectTimeout=500");
            await redis.GetDatabase().PingAsync();
            return true;
        }
        catch (RedisConnectionException)
        {
            return false;
        }
    }

    private ProcessStartInfo RedisServer() => ChildProcess.Command("redis-server",
        "--port", Port.ToString(CultureInfo.InvariantCulture), "--bind", "127.0.0.1", "--dir", _directory,
        "--appendonly", "yes", "--appendfsync", "always", "--save", "", "--maxmemory-policy", "noeviction",
        "--requirepass", Password);

    private ProcessStartInfo EmbeddedGarnet()
    {
        var start = ChildProcess.Dotnet(Path.Combine(AppContext.BaseDirectory, "Sessions.Silo.dll"), "store");
        start.WorkingDirectory = AppContext.BaseDirectory;
        start.Environment["Sessions__Storage__EmbeddedPort"] = Port.ToString(CultureInfo.InvariantCulture);
        start.Environment["Sessions__Storage__EmbeddedPassword"] = Password;
        start.Environment["Sessions__Storage__DataDirectory"] = _directory;
        start.Environment["Sessions__Storage__EmbeddedDurability"] = "Acknowledged";
        return start;
    }
}
