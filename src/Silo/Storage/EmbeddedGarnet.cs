using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Sessions.Silo.Hosting;

namespace Sessions.Silo.Storage;

/// <summary>
/// The embedded default's store: a Garnet server inside this process, with an append-only log plus checkpoints under
/// the data directory, replayed on the next start. The grain storage of this process calls into it directly
/// (<see cref="Sessions"/>), so by default it listens on no port at all. With <c>Sessions:Storage:EmbeddedPort</c> it
/// also listens on loopback, behind <c>EmbeddedPassword</c>: for <c>redis-cli</c>, and as <c>Sessions.Silo store</c> for
/// the silos of a local cluster, whose Orleans Redis provider runs its compare-and-set as a Lua script (hence Lua
/// scripts run as transactions).
/// </summary>
public sealed partial class EmbeddedGarnet : IDisposable
{
    private readonly Lock _gate = new();
    private readonly StorageOptions _options;
    private readonly ILogger<EmbeddedGarnet> _logger;
    private readonly bool _groupCommitted;
    private volatile LocalSessions? _sessions;

    /// <param name="groupCommitted">
    /// Whether this process's grain storage waits for the log itself (<see cref="AofGroupCommit"/>), which an
    /// <see cref="EmbeddedDurability.Acknowledged"/> store then leaves to it instead of committing once per write.
    /// </param>
    public EmbeddedGarnet(IOptions<StorageOptions> options, IHostEnvironment environment, ILogger<EmbeddedGarnet> logger, bool groupCommitted = false)
    {
        _options = options.Value;
        _groupCommitted = groupCommitted;
        _logger = logger;
        DataDirectory = Path.GetFullPath(Path.Combine(environment.ContentRootPath, _options.DataDirectory));
        Port = _options.EmbeddedPort is { } port ? port != 0 ? port : FreeLoopbackPort() : null;
    }

    public string DataDirectory { get; }

    /// <summary>The loopback port it listens on; null when it listens on none.</summary>
    public int? Port { get; }

    /// <summary>A StackExchange.Redis connection string for the port (with its password); null when there is no port.</summary>
    public string? ConnectionString => Port is { } port
        ? $"127.0.0.1:{port},allowAdmin=true{(_options.EmbeddedPassword is { } password ? $",password={password}" : "")}"
        : null;

    /// <summary>Sessions on the store from inside this process (the grain storage's way in); they fail once it is disposed.</summary>
    internal LocalSessions Sessions
    {
        get
        {
            if (_sessions is null)
            {
                EnsureStarted();
            }
            return _sessions!;
        }
    }

    public void EnsureStarted()
    {
        lock (_gate)
        {
            if (_sessions is not null)
            {
                return;
            }

            var store = Path.Combine(DataDirectory, "store");
            Directory.CreateDirectory(store);
            string[] args =
            [
                // Its banner (written to the console, not the log) would announce a port that may never be bound.
                "-q",
                "--bind", "127.0.0.1",
                // Without a port of its own, the server is never started on this one (LocalSessions): no socket is bound.
                "--port", (Port ?? FreeLoopbackPort()).ToString(System.Globalization.CultureInfo.InvariantCulture),
                "--lua", "--lua-transaction-mode",
                "--aof",
                "--storage-tier", "--device-type", "RandomAccess",
                "--logdir", Path.Combine(store, "log"),
                "--checkpointdir", Path.Combine(store, "checkpoints"),
                "--recover",
                "--index", "64m", "--memory", _options.EmbeddedMemoryMegabytes.ToString(System.Globalization.CultureInfo.InvariantCulture) + "m",
            ];
            string[] commit = _options.EmbeddedDurability switch
            {
                // Group commit: the grain storage waits for one log commit shared by every write before it; the
                // store's own commits every 100 ms only cover anything written past the grain storage.
                EmbeddedDurability.Acknowledged when _groupCommitted => ["--aof-commit-freq", "100"],
                EmbeddedDurability.Acknowledged => ["--aof-commit-freq", "0", "--aof-commit-wait"],
                EmbeddedDurability.Immediate => ["--aof-commit-freq", "0"],
                _ => ["--aof-commit-freq", "100"],
            };
            string[] auth = _options.EmbeddedPassword is { } password ? ["--auth", "Password", "--password", password] : [];
            var connectionsWaitForCommits = Port is not null && commit.Contains("--aof-commit-wait");
            string[] threads = connectionsWaitForCommits ? ["--minthreads", ListenerMinThreads().ToString(System.Globalization.CultureInfo.InvariantCulture)] : [];
            _sessions = new LocalSessions([.. args, .. commit, .. auth, .. threads], listen: Port is not null);
            if (Port is { } port)
            {
                LogListening(port, DataDirectory, _options.EmbeddedMemoryMegabytes, _options.EmbeddedPassword is not null);
            }
            else
            {
                LogInProcess(DataDirectory, _options.EmbeddedMemoryMegabytes);
            }
        }
    }

    /// <summary>Commits the append-only log up to its tail: every write the store has answered is durable after it.</summary>
    public Task CommitLogAsync(CancellationToken cancellationToken = default) => Sessions.CommitLogAsync(cancellationToken);

    /// <summary>A checkpoint of the whole store, so that the next start replays a short log.</summary>
    public Task CheckpointAsync(CancellationToken cancellationToken = default) => Sessions.CheckpointAsync(cancellationToken);

    /// <summary>A read through the in-process store: what the health check asks of it.</summary>
    public void Probe() => Sessions.Run(0, static (session, _) => session.HashGet("sessions/health"u8, "probe"u8));

    public void Dispose()
    {
        lock (_gate)
        {
            // Kept, closed: whatever still holds the store from here on fails as on a store outage.
            _sessions?.Dispose();
        }
    }

    /// <summary>
    /// A store that answers a connection's write only once the log holds it blocks a pool thread per connection with a
    /// write in flight (Garnet waits for the commit on its network thread), while the log's write and fsync need pool
    /// threads of their own. With the pool's default minimum (one thread per core) a few dozen writing connections starve
    /// the very commit they wait for: measured on 2 cores, 20 connections of 4 writers each completed 80 writes in 10 s
    /// (every write after the first stalled), and about 130,000 with 64 threads ready. Threads are made only when work
    /// waits, so an idle store pays nothing for the headroom.
    /// </summary>
    private static int ListenerMinThreads()
    {
        ThreadPool.GetMinThreads(out var workers, out _);
        return Math.Max(workers, 64);
    }

    private static int FreeLoopbackPort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    [LoggerMessage(EventId = 100, Level = LogLevel.Information, Message = "Embedded store listening on 127.0.0.1:{Port} (password: {PasswordSet}), data in {DataDirectory}, up to {MemoryMegabytes} MiB of it in memory")]
    private partial void LogListening(int port, string dataDirectory, int memoryMegabytes, bool passwordSet);

    [LoggerMessage(EventId = 104, Level = LogLevel.Information, Message = "Embedded store in process only (no port), data in {DataDirectory}, up to {MemoryMegabytes} MiB of it in memory")]
    private partial void LogInProcess(string dataDirectory, int memoryMegabytes);
}
