using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;

namespace Sessions.Tests.Infrastructure;

/// <summary>
/// A process a test starts (the API, a silo, a store, a sample website, an app): its output is kept for the test to
/// read and for a failing test's message, and the test can SIGKILL it, as a crashed machine.
/// </summary>
public sealed class ChildProcess : IAsyncDisposable
{
    private static readonly TimeSpan ReadyBound = TimeSpan.FromSeconds(60);

    private readonly Process _process;
    private readonly ConcurrentQueue<string> _output = new();
    private readonly int _keptLines;

    private ChildProcess(Process process, int keptLines)
    {
        _process = process;
        _keptLines = keptLines;
        process.OutputDataReceived += (_, e) => Keep(e.Data);
        process.ErrorDataReceived += (_, e) => Keep(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
    }

    public int Id => _process.Id;

    public bool HasExited => _process.HasExited;

    /// <summary>The lines the process wrote on either stream: the last ones, up to the number it was started to keep.</summary>
    public IReadOnlyCollection<string> Lines => _output;

    public string Output => string.Join('\n', _output);

    public string LastLines(int count) => string.Join('\n', _output.TakeLast(count));

    /// <summary><c>dotnet <paramref name="dll"/> <paramref name="arguments"/></c>, each argument passed as it is.</summary>
    public static ProcessStartInfo Dotnet(string dll, params IEnumerable<string> arguments) => Command("dotnet", [dll, .. arguments]);

    public static ProcessStartInfo Command(string program, params IEnumerable<string> arguments)
    {
        var start = new ProcessStartInfo(program);
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }
        return start;
    }

    /// <summary>Starts <paramref name="start"/> with both output streams kept, the last <paramref name="keptLines"/> lines of them.</summary>
    public static ChildProcess Start(ProcessStartInfo start, int keptLines = 20_000)
    {
        start.RedirectStandardOutput = start.RedirectStandardError = true;
        start.UseShellExecute = false;
        return new ChildProcess(Process.Start(start)!, keptLines);
    }

    /// <summary>
    /// Asks <paramref name="isReady"/> until it says yes. The test fails, with the process's last lines, if the process
    /// exits first or is not ready within 60 s.
    /// </summary>
    public async Task WaitUntilReadyAsync(string name, Func<Task<bool>> isReady)
    {
        var waited = Stopwatch.StartNew();
        while (!await isReady())
        {
            if (HasExited)
            {
                // The exit can be seen before the last lines, which say why, are read: they are read to the end first.
                await _process.WaitForExitAsync();
                Assert.Fail($"{name} exited with {_process.ExitCode}:\n{LastLines(200)}");
            }
            Assert.True(waited.Elapsed < ReadyBound, $"{name} was not ready in {ReadyBound.TotalSeconds:F0} s:\n{LastLines(200)}");
            await Task.Delay(100);
        }
    }

    /// <summary>Whether <paramref name="url"/> answers with a success status; no answer yet is a no.</summary>
    public static async Task<bool> AnswersAsync(HttpClient http, string url)
    {
        try
        {
            using var answer = await http.GetAsync(url);
            return answer.IsSuccessStatusCode;
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
        {
            return false;
        }
    }

    /// <summary>
    /// SIGKILL of the process and its children: no shutdown and no final flush. Returns once it is sent, so that several
    /// processes can be killed at once.
    /// </summary>
    public void Kill()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
        }
    }

    /// <summary>SIGKILL, then waits for the process to be gone.</summary>
    public async Task KillAsync()
    {
        Kill();
        await _process.WaitForExitAsync();
    }

    /// <summary>SIGTERM, as an orchestrator stops a process, then waits for it to exit.</summary>
    public async Task StopAsync(TimeSpan bound)
    {
        if (!_process.HasExited)
        {
            Signal("TERM");
            await WaitForExitAsync(bound);
        }
    }

    /// <summary>Sends the signal <paramref name="name"/> (<c>TERM</c>, <c>STOP</c>, <c>CONT</c>) to the process.</summary>
    public void Signal(string name)
    {
        using var kill = Process.Start("kill", [$"-{name}", _process.Id.ToString(CultureInfo.InvariantCulture)])!;
        kill.WaitForExit();
    }

    /// <summary>Waits for the process to exit and for the last of its output; its exit code.</summary>
    public async Task<int> WaitForExitAsync(TimeSpan bound)
    {
        using var timeout = new CancellationTokenSource(bound);
        await _process.WaitForExitAsync(timeout.Token);
        return _process.ExitCode;
    }

    public async ValueTask DisposeAsync()
    {
        await KillAsync();
        _process.Dispose();
    }

    private void Keep(string? line)
    {
        if (line is null)
        {
            return;
        }
        _output.Enqueue(line);
        while (_output.Count > _keptLines && _output.TryDequeue(out _))
        {
        }
    }
}
