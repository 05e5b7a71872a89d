using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;

namespace Sessions.Tests.Infrastructure;

/// <summary>
/// A real silo process (<c>Sessions.Silo.dll</c>, beside the tests), so that a test can kill it with SIGKILL:
/// no graceful shutdown, no membership update, exactly as a crashed machine. It gets its environment as the API
/// does, through <c>ASPNETCORE_ENVIRONMENT</c>, and fresh ports, as a replacement machine would.
/// </summary>
public sealed class SiloProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly ConcurrentQueue<string> _output = new();

    private SiloProcess(Process process)
    {
        _process = process;
        process.OutputDataReceived += (_, e) => Keep(e.Data);
        process.ErrorDataReceived += (_, e) => Keep(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
    }

    public static SiloProcess Start(IReadOnlyDictionary<string, string?> settings)
    {
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = AppContext.BaseDirectory,
        };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "Sessions.Silo.dll"));
        start.Environment.Remove("DOTNET_ENVIRONMENT");
        start.Environment["ASPNETCORE_ENVIRONMENT"] = "Development";
        foreach (var (key, value) in TestBrands.Configuration().Concat(settings))
        {
            start.Environment[key.Replace(":", "__", StringComparison.Ordinal)] = value;
        }
        start.Environment["Sessions__Cluster__Mode"] = "Silo";
        start.Environment["Sessions__Cluster__SiloPort"] = FreePort.Next().ToString(CultureInfo.InvariantCulture);
        start.Environment["Sessions__Cluster__GatewayPort"] = FreePort.Next().ToString(CultureInfo.InvariantCulture);
        return new SiloProcess(Process.Start(start)!);
    }

    public static SiloProcess[] StartMany(IReadOnlyDictionary<string, string?> settings, int count) =>
        Enumerable.Range(0, count).Select(_ => Start(settings)).ToArray();

    public bool HasExited => _process.HasExited;

    /// <summary>The last lines the silo wrote, for a failing test's message.</summary>
    public string OutputTail => string.Join('\n', _output);

    public string LastLines(int count) => string.Join('\n', _output.TakeLast(count));

    /// <summary>SIGKILL.</summary>
    public void Kill() => _process.Kill(entireProcessTree: true);

    /// <summary>SIGTERM, then wait for the silo to leave the cluster.</summary>
    public async Task StopAsync()
    {
        if (_process.HasExited)
        {
            return;
        }
        Process.Start("kill", ["-TERM", _process.Id.ToString(CultureInfo.InvariantCulture)])!.WaitForExit();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(45));
        await _process.WaitForExitAsync(timeout.Token);
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            Kill();
            await _process.WaitForExitAsync();
        }
        _process.Dispose();
    }

    private void Keep(string? line)
    {
        if (line is null)
        {
            return;
        }
        _output.Enqueue(line);
        while (_output.Count > 2000 && _output.TryDequeue(out _))
        {
        }
    }
}
