using System.Diagnostics;
using System.Globalization;
using StackExchange.Redis;

namespace Sessions.Tests.Infrastructure;

/// <summary>
/// A Redis Cluster of real <c>redis-server</c> processes on loopback (3 primaries with a replica each, unless told
/// otherwise), made the way an operator makes one (<c>redis-cli --cluster create</c>), so that tests can SIGKILL,
/// SIGSTOP, fail over and reshard it. Each node keeps an append-only log in a directory of its own and comes back from
/// it when restarted. A cluster node also listens on its port + 10000, so ports stay below 55535. The test classes that
/// start one share <see cref="RedisClusterCollection"/>, so two clusters of six never compete for the host's cores.
/// </summary>
public sealed class RedisCluster : IAsyncDisposable
{
    private readonly string _directory = TempDirectory.Create("redis-cluster");
    private readonly Dictionary<int, ChildProcess> _nodes = [];
    private readonly List<int> _seeds = [];

    /// <summary>Whether <c>redis-server</c> and <c>redis-cli</c> are on the PATH (CI installs them).</summary>
    public static bool IsAvailable => OnPath("redis-server") && OnPath("redis-cli");

    /// <summary>The seeds a client is given: every node the cluster was created with.</summary>
    public string ConnectionString => string.Join(',', _seeds.Select(p => $"127.0.0.1:{p}")) + ",abortConnect=false,connectTimeout=2000";

    public static async Task<RedisCluster> StartAsync(int primaries = 3)
    {
        var cluster = new RedisCluster();
        try
        {
            var ports = Enumerable.Range(0, primaries * 2).Select(_ => FreePort.NextWithBusPort()).ToList();
            foreach (var port in ports)
            {
                await cluster.StartNodeAsync(port);
            }
            cluster._seeds.AddRange(ports);
            await RedisCliAsync(["--cluster", "create", .. ports.Select(p => $"127.0.0.1:{p}"), "--cluster-replicas", "1", "--cluster-yes"]);
            await cluster.WaitUntilHealthyAsync(primaries);
            return cluster;
        }
        catch
        {
            await cluster.DisposeAsync();
            throw;
        }
    }

    /// <summary>The nodes as the cluster sees them now (<c>CLUSTER NODES</c> of a live node).</summary>
    public async Task<IReadOnlyList<ClusterNode>> NodesAsync()
    {
        foreach (var port in _nodes.Keys.Where(IsRunning))
        {
            try
            {
                var text = await CommandAsync(port, "CLUSTER", "NODES");
                return [.. text.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(ClusterNode.Parse)];
            }
            catch (Exception e) when (e is RedisException or RedisTimeoutException)
            {
            }
        }
        throw new InvalidOperationException("no cluster node answers");
    }

    /// <summary>The port of the primary that owns <paramref name="key"/>'s slot now.</summary>
    public async Task<int> PrimaryOfAsync(string key)
    {
        var anyNode = _nodes.Keys.First(IsRunning);
        var slot = int.Parse(await CommandAsync(anyNode, "CLUSTER", "KEYSLOT", key), CultureInfo.InvariantCulture);
        return (await NodesAsync()).Single(n => n.IsPrimary && !n.Failed && n.Owns(slot)).Port;
    }

    public async Task<int> ReplicaOfAsync(int primaryPort)
    {
        var nodes = await NodesAsync();
        var primary = nodes.Single(n => n.Port == primaryPort);
        return nodes.Single(n => n.PrimaryId == primary.Id && !n.Failed).Port;
    }

    /// <summary>SIGKILL: no shutdown, no last fsync, as a crashed machine.</summary>
    public Task KillAsync(int port) => _nodes[port].KillAsync();

    /// <summary>Starts a killed node again from its data; it rejoins, as a replica when it was failed over.</summary>
    public Task RestartAsync(int port) => StartNodeAsync(port);

    /// <summary>SIGSTOP: the process holds its sockets but answers nothing, as a node frozen by its host.</summary>
    public void Freeze(int port) => _nodes[port].Signal("STOP");

    public void Thaw(int port) => _nodes[port].Signal("CONT");

    /// <summary>Drops a primary's links to its replicas (they reconnect unless they are frozen).</summary>
    public Task DisconnectReplicasAsync(int primaryPort) => CommandAsync(primaryPort, "CLIENT", "KILL", "TYPE", "replica");

    /// <summary>A graceful <c>CLUSTER FAILOVER</c> of the replica's primary to it; returns once it is primary.</summary>
    public async Task FailOverToAsync(int replicaPort)
    {
        await CommandAsync(replicaPort, "CLUSTER", "FAILOVER");
        await WaitForAsync(async () => (await NodesAsync()).Any(n => n.Port == replicaPort && n.IsPrimary), "the graceful failover");
    }

    /// <summary>Waits until a primary of the cluster runs on <paramref name="port"/> (after a failover, the promoted replica).</summary>
    public Task WaitForPrimaryAsync(int port) =>
        WaitForAsync(async () => (await NodesAsync()).Any(n => n.Port == port && n.IsPrimary && !n.Failed), $"127.0.0.1:{port} to become primary");

    /// <summary>
    /// A fourth shard: a new primary and its replica join, then <paramref name="slots"/> slots move to it from the others
    /// with their keys (<c>redis-cli --cluster reshard</c>), while clients keep going.
    /// </summary>
    public async Task AddShardAsync(int slots)
    {
        var (primary, replica) = (FreePort.NextWithBusPort(), FreePort.NextWithBusPort());
        await StartNodeAsync(primary);
        await StartNodeAsync(replica);
        var existing = $"127.0.0.1:{_nodes.Keys.First(p => p != primary && p != replica && IsRunning(p))}";
        await RedisCliAsync(["--cluster", "add-node", $"127.0.0.1:{primary}", existing]);
        await WaitForAsync(() => EveryNodeKnowsAsync(primary, except: replica), "every node to know the new primary");
        var primaryId = (await NodesAsync()).Single(n => n.Port == primary).Id;
        await RedisCliAsync(["--cluster", "add-node", $"127.0.0.1:{replica}", existing, "--cluster-slave", "--cluster-master-id", primaryId]);
        await WaitForAsync(() => EveryNodeKnowsAsync(replica, except: null), "every node to know the new replica");
        await WaitForAsync(async () => (await NodesAsync()).Any(n => n.Port == replica && n.PrimaryId == primaryId), "the new replica to follow its primary");
        // A primary says the cluster is down for its first two seconds (Redis' writable delay), and a slot migrated to
        // it then fails with CLUSTERDOWN.
        await WaitForAsync(() => SaysClusterIsUpAsync(primary), "the new primary to see the cluster up");
        await RedisCliAsync(["--cluster", "reshard", existing, "--cluster-from", "all", "--cluster-to", primaryId,
            "--cluster-slots", slots.ToString(CultureInfo.InvariantCulture), "--cluster-yes", "--cluster-pipeline", "100"]);
    }

    /// <summary>Until every live node says the cluster is ok and every primary with slots has a replica in sync.</summary>
    public async Task WaitUntilHealthyAsync(int primaries)
    {
        await WaitForAsync(async () =>
        {
            foreach (var port in _nodes.Keys.Where(IsRunning))
            {
                if (!await SaysClusterIsUpAsync(port))
                {
                    return false;
                }
            }
            var nodes = await NodesAsync();
            var withSlots = nodes.Where(n => n.IsPrimary && !n.Failed && n.Slots.Count > 0).ToList();
            if (withSlots.Count != primaries)
            {
                return false;
            }
            foreach (var primary in withSlots)
            {
                // A replica in sync: the primary streams to it (state=online), not one still loading or reconnecting.
                if (!(await CommandAsync(primary.Port, "INFO", "replication")).Contains("state=online", StringComparison.Ordinal))
                {
                    return false;
                }
            }
            return true;
        }, "the cluster to be healthy");
    }

    private async Task<bool> SaysClusterIsUpAsync(int port) =>
        (await CommandAsync(port, "CLUSTER", "INFO")).Contains("cluster_state:ok", StringComparison.Ordinal);

    /// <summary>What each node says of itself (role, its replicas or its link to its primary), of the cluster, and last in its log, for a failure's message.</summary>
    public async Task<string> DescribeAsync()
    {
        var lines = new List<string>();
        foreach (var port in _nodes.Keys)
        {
            if (!IsRunning(port))
            {
                lines.Add($"{port}: not running");
                continue;
            }
            try
            {
                var state = (await CommandAsync(port, "CLUSTER", "INFO")).Split('\n').First(l => l.StartsWith("cluster_state:", StringComparison.Ordinal)).Trim();
                var replication = (await CommandAsync(port, "INFO", "replication")).Split('\n')
                    .Where(l => l.StartsWith("role:", StringComparison.Ordinal) || l.StartsWith("slave", StringComparison.Ordinal)
                        || l.StartsWith("master_link_status:", StringComparison.Ordinal) || l.StartsWith("master_sync_in_progress:", StringComparison.Ordinal))
                    .Select(l => l.Trim());
                lines.Add($"{port}: {state} {string.Join(' ', replication)}");
            }
            catch (Exception e) when (e is RedisException or RedisTimeoutException)
            {
                lines.Add($"{port}: {e.Message}");
            }
            lines.Add(_nodes[port].LastLines(5));
        }
        return string.Join('\n', lines);
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var node in _nodes.Values)
        {
            // SIGKILL ends a frozen (SIGSTOPped) node too.
            await node.DisposeAsync();
        }
        TempDirectory.Delete(_directory);
    }

    private async Task StartNodeAsync(int port)
    {
        var directory = Path.Combine(_directory, port.ToString(CultureInfo.InvariantCulture));
        Directory.CreateDirectory(directory);
        if (_nodes.Remove(port, out var killed))
        {
            await killed.DisposeAsync();
        }
        _nodes[port] = ChildProcess.Start(ChildProcess.Command("redis-server",
            "--port", port.ToString(CultureInfo.InvariantCulture), "--bind", "127.0.0.1", "--dir", directory,
            "--cluster-enabled", "yes", "--cluster-config-file", "nodes.conf", "--cluster-node-timeout", "2000",
            "--appendonly", "yes", "--appendfsync", "everysec", "--save", "", "--maxmemory-policy", "noeviction"), keptLines: 200);
        await WaitForAsync(async () =>
        {
            try
            {
                return (await CommandAsync(port, "PING")) == "PONG";
            }
            catch (RedisException)
            {
                return false;
            }
        }, $"redis-server on {port}");
    }

    private bool IsRunning(int port) => !_nodes[port].HasExited;

    /// <summary>Whether gossip has reached every live node: redis-cli refuses to change a cluster whose nodes disagree.</summary>
    private async Task<bool> EveryNodeKnowsAsync(int port, int? except)
    {
        foreach (var node in _nodes.Keys.Where(n => IsRunning(n) && n != except))
        {
            if (!(await CommandAsync(node, "CLUSTER", "NODES")).Contains($":{port}@", StringComparison.Ordinal))
            {
                return false;
            }
        }
        return true;
    }

    /// <summary>One command on one node, over a connection of its own that follows no redirection.</summary>
    private static async Task<string> CommandAsync(int port, string command, params object[] arguments)
    {
        await using var connection = await ConnectionMultiplexer.ConnectAsync(new ConfigurationOptions
        {
            EndPoints = { { "127.0.0.1", port } }, AbortOnConnectFail = true, ConnectTimeout = 1000, SyncTimeout = 5000, AllowAdmin = true,
        });
        var result = await connection.GetServer("127.0.0.1", port).ExecuteAsync(command, arguments);
        return result.ToString();
    }

    private static async Task RedisCliAsync(string[] arguments)
    {
        await using var cli = ChildProcess.Start(ChildProcess.Command("redis-cli", arguments));
        var exitCode = await cli.WaitForExitAsync(TimeSpan.FromMinutes(5));
        Assert.True(exitCode == 0, $"redis-cli {string.Join(' ', arguments)} failed:\n{cli.Output}");
    }

    private static async Task WaitForAsync(Func<Task<bool>> condition, string what)
    {
        var clock = Stopwatch.StartNew();
        while (true)
        {
            try
            {
                if (await condition())
                {
                    return;
                }
            }
            catch (Exception e) when (e is RedisException or RedisTimeoutException or InvalidOperationException)
            {
            }
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(60), $"timed out waiting for {what}");
            await Task.Delay(200);
        }
    }

    private static bool OnPath(string program) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':').Any(directory => File.Exists(Path.Combine(directory, program)));
}

/// <summary>One line of <c>CLUSTER NODES</c>.</summary>
public sealed record ClusterNode(string Id, int Port, bool IsPrimary, bool Failed, string? PrimaryId, bool LinkUp, IReadOnlyList<(int From, int To)> Slots)
{
    public bool Owns(int slot) => Slots.Any(range => range.From <= slot && slot <= range.To);

    // <id> <ip:port@cport> <flags> <master> <ping-sent> <pong-recv> <config-epoch> <link-state> <slot> <slot> ...
    public static ClusterNode Parse(string line)
    {
        var fields = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        var port = int.Parse(fields[1].Split('@')[0].Split(':')[1], CultureInfo.InvariantCulture);
        var flags = fields[2].Split(',');
        var slots = fields.Skip(8).Where(f => !f.StartsWith('[')).Select(f => f.Split('-')).Select(r =>
            (int.Parse(r[0], CultureInfo.InvariantCulture), int.Parse(r[^1], CultureInfo.InvariantCulture))).ToList();
        return new ClusterNode(fields[0], port, flags.Contains("master"), flags.Contains("fail") || flags.Contains("fail?"),
            fields[3] == "-" ? null : fields[3], fields[7] == "connected", slots);
    }
}

/// <summary>A test that runs only where <c>redis-server</c> is installed (CI installs it; <c>dotnet test</c> alone skips it).</summary>
public sealed class RedisClusterFactAttribute : FactAttribute
{
    public RedisClusterFactAttribute()
    {
        if (!RedisCluster.IsAvailable)
        {
            Skip = "needs redis-server and redis-cli on the PATH (.ci/run installs them)";
        }
    }
}

/// <summary>A test class whose every test starts a 3+3 Redis Cluster of its own, where <c>redis-server</c> is installed.</summary>
public abstract class OnItsOwnRedisCluster : IAsyncLifetime
{
    protected RedisCluster Redis { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        if (RedisCluster.IsAvailable)
        {
            Redis = await RedisCluster.StartAsync();
        }
    }

    public async Task DisposeAsync()
    {
        if (Redis is not null)
        {
            await Redis.DisposeAsync();
        }
    }
}

[CollectionDefinition(Name)]
public sealed class RedisClusterCollection
{
    public const string Name = "Redis Cluster";
}
