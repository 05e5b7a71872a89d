using System.Diagnostics;
using System.Globalization;

namespace Sessions.Tests.Infrastructure;

/// <summary>
/// A real silo process (<c>Sessions.Silo.dll</c>, beside the tests), so that a test can kill it with SIGKILL:
/// no graceful shutdown, no membership update, exactly as a crashed machine.
/// </summary>
public sealed class SiloProcess : IAsyncDisposable
{
    private readonly Process _process;

    private SiloProcess(Process process) => _process = process;

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
        start.Environment["DOTNET_ENVIRONMENT"] = "Development";
        foreach (var (key, value) in TestBrands.Configuration().Concat(settings))
        {
            start.Environment[key.Replace(":", "__", StringComparison.Ordinal)] = value;
        }
        start.Environment["Sessions__Cluster__Mode"] = "Silo";
        start.Environment["Sessions__Cluster__SiloPort"] = FreePort.Next().ToString(CultureInfo.InvariantCulture);
        start.Environment["Sessions__Cluster__GatewayPort"] = FreePort.Next().ToString(CultureInfo.InvariantCulture);

        var process = Process.Start(start)!;
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return new SiloProcess(process);
    }

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
}
