using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;

namespace Sessions.Bench;

/// <summary>
/// Drives the fixed-body scenarios with wrk (one C thread, keep-alive connections, a Lua script that cycles through
/// one body per line): the lightest client there is, so that the server's cost, not the client's, sets the rate.
/// </summary>
internal static partial class Wrk
{
    private static readonly string Script = Path.Combine(AppContext.BaseDirectory, "wrk", "post-lines.lua");

    public static bool IsInstalled()
    {
        try
        {
            using var probe = Process.Start(new ProcessStartInfo("wrk", "--version") { RedirectStandardOutput = true, RedirectStandardError = true })!;
            probe.WaitForExit();
            return true;
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return false;
        }
    }

    /// <summary>A warm-up run (not counted), then the measured one, with the server's CPU time read around it.</summary>
    public static async Task<Measurement> MeasureAsync(string scenario, IMeasuredServer server, string path, IReadOnlyList<string> bodies, string workDirectory,
        int connections, TimeSpan warmup, TimeSpan duration, string contentType = "application/json", string? authorization = null)
    {
        var bodyFile = Path.Combine(workDirectory, $"{scenario}.bodies");
        await File.WriteAllLinesAsync(bodyFile, bodies);
        var url = $"http://127.0.0.1:{server.Port}{path}";
        if (warmup > TimeSpan.Zero)
        {
            await RunAsync(url, bodyFile, connections, warmup, contentType, authorization);
        }

        string output;
        TimeSpan elapsed, cpu;
        await using (Profiler.Record(scenario, server))
        {
            var cpuBefore = server.CpuTime;
            var clock = Stopwatch.StartNew();
            output = await RunAsync(url, bodyFile, connections, duration, contentType, authorization);
            elapsed = clock.Elapsed;
            cpu = server.CpuTime - cpuBefore;
        }
        return Parse(scenario, output, elapsed, cpu);
    }

    private static async Task<string> RunAsync(string url, string bodyFile, int connections, TimeSpan duration, string contentType, string? authorization)
    {
        var start = new ProcessStartInfo("wrk") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in new[] { "-t1", $"-c{connections}", $"-d{(int)Math.Ceiling(duration.TotalSeconds)}s", "--latency", "-s", Script, url })
        {
            start.ArgumentList.Add(argument);
        }
        start.Environment["BODY_FILE"] = bodyFile;
        start.Environment["CONTENT_TYPE"] = contentType;
        if (authorization is not null)
        {
            start.Environment["AUTHORIZATION"] = authorization;
        }
        using var wrk = Process.Start(start)!;
        var output = wrk.StandardOutput.ReadToEndAsync();
        var error = wrk.StandardError.ReadToEndAsync();
        await wrk.WaitForExitAsync();
        return wrk.ExitCode == 0 ? await output : throw new InvalidOperationException($"wrk failed ({wrk.ExitCode}): {await error}{await output}");
    }

    /// <summary>Reads wrk's totals (requests in the run, not its rounded rate), latency distribution and errors.</summary>
    private static Measurement Parse(string scenario, string output, TimeSpan elapsed, TimeSpan cpu)
    {
        var total = Totals().Match(output);
        if (!total.Success)
        {
            throw new InvalidOperationException($"unexpected wrk output:\n{output}");
        }
        var requests = long.Parse(total.Groups["requests"].Value, CultureInfo.InvariantCulture);
        var seconds = Seconds(total.Groups["time"].Value, total.Groups["unit"].Value);

        var errors = new Dictionary<string, long>();
        if (NonSuccess().Match(output) is { Success: true } non2xx)
        {
            errors["non-2xx"] = long.Parse(non2xx.Groups[1].Value, CultureInfo.InvariantCulture);
        }
        if (SocketErrors().Match(output) is { Success: true } socket)
        {
            foreach (var kind in new[] { "connect", "read", "write", "timeout" })
            {
                if (long.Parse(socket.Groups[kind].Value, CultureInfo.InvariantCulture) is var count and > 0)
                {
                    errors[$"socket {kind}"] = count;
                }
            }
        }

        double Percentile(string p) => Distribution().Matches(output).FirstOrDefault(m => m.Groups["p"].Value == p) is { } m
            ? Seconds(m.Groups["value"].Value, m.Groups["unit"].Value) * 1000 : double.NaN;

        // wrk's own clock (its run's length) divides its count; the CPU time was read around the whole process.
        var measuredElapsed = seconds > 0 ? TimeSpan.FromSeconds(seconds) : elapsed;
        var cpuInRun = cpu * (measuredElapsed / elapsed);
        return new Measurement(scenario, "wrk", requests, requests, measuredElapsed, new Latency(Percentile("50"), Percentile("90"), Percentile("99")), errors, cpuInRun);
    }

    private static double Seconds(string value, string unit) => double.Parse(value, CultureInfo.InvariantCulture) * unit switch
    {
        "us" => 1e-6,
        "ms" => 1e-3,
        "s" => 1,
        "m" => 60,
        _ => throw new InvalidOperationException($"unknown wrk unit {unit}"),
    };

    [GeneratedRegex(@"(?<requests>\d+) requests in (?<time>[\d.]+)(?<unit>us|ms|s|m),")]
    private static partial Regex Totals();

    [GeneratedRegex(@"^\s+(?<p>50|75|90|99)%\s+(?<value>[\d.]+)(?<unit>us|ms|s|m)\s*$", RegexOptions.Multiline)]
    private static partial Regex Distribution();

    [GeneratedRegex(@"Non-2xx or 3xx responses: (\d+)")]
    private static partial Regex NonSuccess();

    [GeneratedRegex(@"Socket errors: connect (?<connect>\d+), read (?<read>\d+), write (?<write>\d+), timeout (?<timeout>\d+)")]
    private static partial Regex SocketErrors();
}
