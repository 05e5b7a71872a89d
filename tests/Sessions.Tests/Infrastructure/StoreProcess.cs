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
    private Process? _process;

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
        var start = TestStore.IsRealRedis ? RedisServer() : EmbeddedGarnet();
        start.RedirectStandardOutput = start.RedirectStandardError = true;
        start.UseShellExecute = false;
        _process = Process.Start(start)!;
        _process.OutputDataReceived += (_, _) => { };
        _process.ErrorDataReceived += (_, _) => { };
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();

        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (true)
        {
            try
            {
                await using var redis = await ConnectionMultiplexer.ConnectAsync(ConnectionString + ",connectTimeout=500");
                await redis.GetDatabase().PingAsync();
                return;
            }
            catch (RedisConnectionException) when (DateTime.UtcNow < deadline && !_process.HasExited)
            {
                await Task.Delay(100);
            }
        }
    }

    /// <summary>SIGKILL: no shutdown, no final flush, as a crashed machine.</summary>
    public async Task KillAsync()
    {
        if (_process is { HasExited: false })
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }
    }

    public async ValueTask DisposeAsync()
    {
        await KillAsync();
        _process?.Dispose();
        TempDirectory.Delete(_directory);
    }

    private ProcessStartInfo RedisServer()
    {
        var start = new ProcessStartInfo("redis-server");
        foreach (var argument in new[]
        {
            "--port", Port.ToString(CultureInfo.InvariantCulture), "--bind", "127.0.0.1", "--dir", _directory,
            "--appendonly", "yes", "--appendfsync", "always", "--save", "", "--maxmemory-policy", "noeviction",
            "--requirepass", Password,
        })
        {
            start.ArgumentList.Add(argument);
        }
        return start;
    }

    private ProcessStartInfo EmbeddedGarnet()
    {
        var start = new ProcessStartInfo("dotnet") { WorkingDirectory = AppContext.BaseDirectory };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "Sessions.Silo.dll"));
        start.ArgumentList.Add("store");
        start.Environment["Sessions__Storage__EmbeddedPort"] = Port.ToString(CultureInfo.InvariantCulture);
        start.Environment["Sessions__Storage__EmbeddedPassword"] = Password;
        start.Environment["Sessions__Storage__DataDirectory"] = _directory;
        start.Environment["Sessions__Storage__EmbeddedDurability"] = "Acknowledged";
        return start;
    }
}
