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
/// (<see cref="Sessions"/>); its loopback port serves the health check, the checkpoint on shutdown, <c>redis-cli</c>, and
/// as <c>Sessions.Silo store</c> the silos of a local cluster, whose Orleans Redis provider runs its compare-and-set as a
/// Lua script (hence Lua scripts run as transactions).
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
        Port = _options.EmbeddedPort != 0 ? _options.EmbeddedPort : FreeLoopbackPort();
    }

    public string DataDirectory { get; }

    public int Port { get; }

    public string ConnectionString => $"127.0.0.1:{Port},allowAdmin=true";

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
                "--bind", "127.0.0.1",
                "--port", Port.ToString(System.Globalization.CultureInfo.InvariantCulture),
                "--lua", "--lua-transaction-mode",
                "--aof",
                "--storage-tier", "--device-type", "RandomAccess",
                "--logdir", Path.Combine(store, "log"),
                "--checkpointdir", Path.Combine(store, "checkpoints"),
                "--recover",
                "--index", "64m", "--memory", "512m",
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
            args = [.. args, .. commit];
            _sessions = new LocalSessions(args);
            LogStarted(Port, DataDirectory);
        }
    }

    /// <summary>Commits the append-only log up to its tail: every write the store has answered is durable after it.</summary>
    public Task CommitLogAsync(CancellationToken cancellationToken = default) => Sessions.CommitLogAsync(cancellationToken);

    public void Dispose()
    {
        lock (_gate)
        {
            // Kept, closed: whatever still holds the store from here on fails as on a store outage.
            _sessions?.Dispose();
        }
    }

    private static int FreeLoopbackPort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    [LoggerMessage(EventId = 100, Level = LogLevel.Information, Message = "Embedded store listening on 127.0.0.1:{Port}, data in {DataDirectory}")]
    private partial void LogStarted(int port, string dataDirectory);
}
