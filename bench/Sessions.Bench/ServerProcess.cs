using System.Diagnostics;
using System.Net.Sockets;

namespace Sessions.Bench;

/// <summary>What a scenario loads: the port it sends to, and the CPU time of every process that serves it.</summary>
internal interface IMeasuredServer
{
    int Port { get; }

    TimeSpan CpuTime { get; }

    IReadOnlyList<int> ProcessIds { get; }
}

/// <summary>A server under test in its own process, so that its CPU time is its own.</summary>
internal sealed class ServerProcess : IAsyncDisposable, IMeasuredServer
{
    private readonly Process _process;

    private ServerProcess(Process process, int port)
    {
        _process = process;
        Port = port;
    }

    public const string InlineCompletions = "DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS";

    public int Port { get; }

    public IReadOnlyList<int> ProcessIds => [_process.Id];

    public TimeSpan CpuTime
    {
        get
        {
            _process.Refresh();
            return _process.TotalProcessorTime;
        }
    }

    public long WorkingSetBytes
    {
        get
        {
            _process.Refresh();
            return _process.WorkingSet64;
        }
    }

    /// <param name="readyWithin">How long it may take to answer: a minute, unless it first recovers a large store.</param>
    public static async Task<ServerProcess> StartAsync(string dll, string[] arguments, IReadOnlyDictionary<string, string> environment, string logFile, int port, string? readyPath,
        TimeSpan? readyWithin = null)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add(dll);
        start.Environment.Remove(InlineCompletions);
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }
        foreach (var (key, value) in environment.Concat(Profiler.ServerEnvironment))
        {
            start.Environment[key] = value;
        }
        start.WorkingDirectory = Path.GetDirectoryName(dll)!;

        var process = Process.Start(start)!;
        var log = new StreamWriter(logFile) { AutoFlush = false };
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (log) log.WriteLine(e.Data); };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (log) log.WriteLine(e.Data); };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        process.Exited += (_, _) => { lock (log) log.Dispose(); };
        process.EnableRaisingEvents = true;

        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };
        var deadline = DateTime.UtcNow + (readyWithin ?? TimeSpan.FromMinutes(1));
        while (DateTime.UtcNow < deadline)
        {
            if (process.HasExited)
            {
                throw new InvalidOperationException($"{Path.GetFileName(dll)} exited with {process.ExitCode}; see {logFile}");
            }
            try
            {
                if (readyPath is null)
                {
                    using var tcp = new TcpClient();
                    await tcp.ConnectAsync(System.Net.IPAddress.Loopback, port);
                    return new ServerProcess(process, port);
                }
                var response = await http.GetAsync($"http://127.0.0.1:{port}{readyPath}");
                if ((int)response.StatusCode < 500)
                {
                    return new ServerProcess(process, port);
                }
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException or SocketException)
            {
            }
            await Task.Delay(200);
        }
        process.Kill(entireProcessTree: true);
        throw new TimeoutException($"{Path.GetFileName(dll)} did not answer on port {port}; see {logFile}");
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            // SIGTERM: the API checkpoints its embedded store on the way out.
            Process.Start("kill", ["-TERM", _process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)])?.WaitForExit();
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(40));
            try
            {
                await _process.WaitForExitAsync(timeout.Token);
            }
            catch (OperationCanceledException)
            {
                _process.Kill(entireProcessTree: true);
            }
        }
        _process.Dispose();
    }

    /// <summary>Several processes that serve one port together (an API client, its silos and their store), measured as one.</summary>
    public static IMeasuredServer Group(ServerProcess front, IReadOnlyList<IMeasuredServer> members) => new ServerGroup(front.Port, members);
}

internal sealed record ServerGroup(int Port, IReadOnlyList<IMeasuredServer> Members) : IMeasuredServer
{
    public TimeSpan CpuTime => Members.Aggregate(TimeSpan.Zero, (sum, m) => sum + m.CpuTime);

    public IReadOnlyList<int> ProcessIds => [.. Members.SelectMany(m => m.ProcessIds)];
}
