using System.Diagnostics;
using System.Globalization;

namespace Sessions.Bench;

/// <summary>
/// Real Redis for the storage rows: one durable primary, or a 3-primary, 3-replica Redis Cluster made with
/// <c>redis-cli --cluster create</c>, all on this machine. Their processes are measured with the API's, since the store's
/// CPU is part of what a rotation costs.
/// </summary>
internal sealed class RedisStores : IAsyncDisposable, IMeasuredServer
{
    private readonly List<Process> _processes = [];
    private readonly string _directory;

    private RedisStores(string directory, string connectionString)
    {
        _directory = directory;
        ConnectionString = connectionString;
    }

    public static bool IsInstalled => File.Exists("/usr/bin/redis-server") && File.Exists("/usr/bin/redis-cli");

    public string ConnectionString { get; private set; }

    public int Port => 0;

    public TimeSpan CpuTime => _processes.Aggregate(TimeSpan.Zero, (sum, p) =>
    {
        p.Refresh();
        return sum + p.TotalProcessorTime;
    });

    public IReadOnlyList<int> ProcessIds => [.. _processes.Select(p => p.Id)];

    /// <summary>One primary that fsyncs its append-only log every second, as the README's single-primary advice has it.</summary>
    public static async Task<RedisStores> PrimaryAsync(string directory)
    {
        var port = FreePort.Next();
        var stores = new RedisStores(directory, $"127.0.0.1:{port}");
        await stores.StartNodeAsync(port, cluster: false);
        return stores;
    }

    /// <summary>Three primaries with a replica each (the README's Redis Cluster topology).</summary>
    public static async Task<RedisStores> ClusterAsync(string directory)
    {
        var ports = Enumerable.Range(0, 6).Select(_ => FreePort.NextWithBusPort()).ToList();
        var stores = new RedisStores(directory, string.Join(',', ports.Select(p => $"127.0.0.1:{p}")));
        foreach (var port in ports)
        {
            await stores.StartNodeAsync(port, cluster: true);
        }
        await RunAsync("redis-cli", ["--cluster", "create", .. ports.Select(p => $"127.0.0.1:{p}"), "--cluster-replicas", "1", "--cluster-yes"]);
        // Until every primary streams to its replica.
        for (var attempt = 0; attempt < 150; attempt++)
        {
            var online = 0;
            foreach (var port in ports)
            {
                online += (await RunAsync("redis-cli", ["-p", port.ToString(CultureInfo.InvariantCulture), "INFO", "replication"])).Contains("state=online", StringComparison.Ordinal) ? 1 : 0;
            }
            if (online == 3)
            {
                return stores;
            }
            await Task.Delay(200);
        }
        throw new TimeoutException("the Redis Cluster's replicas did not come online");
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var process in _processes)
        {
            if (!process.HasExited)
            {
                process.Kill();
                await process.WaitForExitAsync();
            }
            process.Dispose();
        }
    }

    private async Task StartNodeAsync(int port, bool cluster)
    {
        var directory = Path.Combine(_directory, port.ToString(CultureInfo.InvariantCulture));
        Directory.CreateDirectory(directory);
        string[] arguments =
        [
            "--port", port.ToString(CultureInfo.InvariantCulture), "--bind", "127.0.0.1", "--dir", directory,
            "--appendonly", "yes", "--appendfsync", "everysec", "--save", "", "--maxmemory-policy", "noeviction",
            .. cluster ? ["--cluster-enabled", "yes", "--cluster-config-file", "nodes.conf", "--cluster-node-timeout", "2000"] : Array.Empty<string>(),
        ];
        var start = new ProcessStartInfo("redis-server") { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }
        var process = Process.Start(start)!;
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        _processes.Add(process);
        for (var attempt = 0; attempt < 100; attempt++)
        {
            if ((await RunAsync("redis-cli", ["-p", port.ToString(CultureInfo.InvariantCulture), "PING"])).Contains("PONG", StringComparison.Ordinal))
            {
                return;
            }
            await Task.Delay(100);
        }
        throw new TimeoutException($"redis-server on {port} did not answer");
    }

    private static async Task<string> RunAsync(string program, string[] arguments)
    {
        var start = new ProcessStartInfo(program) { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }
        using var process = Process.Start(start)!;
        var output = await process.StandardOutput.ReadToEndAsync();
        await process.WaitForExitAsync();
        return output;
    }
}
