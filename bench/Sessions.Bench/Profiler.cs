using System.Diagnostics;
using System.Globalization;

namespace Sessions.Bench;

/// <summary>
/// With <c>--perf DIR</c>, records a CPU profile of the server processes over each scenario's measured window, and of
/// nothing else (not the warm-up, the set-up or the ceiling): <c>perf record -g</c> into
/// <c>DIR/&lt;scenario&gt;.perf.data</c>. The servers are started with perf maps on, so that perf names JIT-compiled
/// frames; read with <c>perf report -i</c>. Recording costs the server CPU, so the ratios of such a run do not count.
/// </summary>
internal static class Profiler
{
    public static string? Directory { get; set; }

    /// <summary>What a server needs for perf to name its JIT-compiled frames.</summary>
    public static IEnumerable<KeyValuePair<string, string>> ServerEnvironment => Directory is null ? [] :
        [new("DOTNET_PerfMapEnabled", "1"), new("DOTNET_EnableWriteXorExecute", "0")];

    /// <summary>Starts recording the server's processes; disposing stops it and waits for the file.</summary>
    public static IAsyncDisposable Record(string scenario, IMeasuredServer server)
    {
        if (Directory is null || scenario is "jit warm-up" or "ceiling")
        {
            return NotRecording.Instance;
        }
        var file = Path.Combine(Directory, $"{string.Concat(scenario.Split(Path.GetInvalidFileNameChars().Append(' ').ToArray()))}.perf.data");
        var start = new ProcessStartInfo("perf") { UseShellExecute = false, RedirectStandardError = true, RedirectStandardOutput = true };
        foreach (var argument in new[] { "record", "-F", "499", "-g", "-o", file, "-p", string.Join(',', server.ProcessIds.Select(p => p.ToString(CultureInfo.InvariantCulture))) })
        {
            start.ArgumentList.Add(argument);
        }
        return new Recording(Process.Start(start) ?? throw new InvalidOperationException("perf did not start"));
    }

    private sealed class Recording(Process perf) : IAsyncDisposable
    {
        public async ValueTask DisposeAsync()
        {
            // SIGINT: perf writes its file and exits.
            Process.Start("kill", ["-INT", perf.Id.ToString(CultureInfo.InvariantCulture)])?.WaitForExit();
            await perf.WaitForExitAsync();
            perf.Dispose();
        }
    }

    private sealed class NotRecording : IAsyncDisposable
    {
        public static readonly NotRecording Instance = new();

        public ValueTask DisposeAsync() => ValueTask.CompletedTask;
    }
}
