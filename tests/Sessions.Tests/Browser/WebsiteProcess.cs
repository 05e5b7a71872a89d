using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using Sessions.Tests.Infrastructure;

namespace Sessions.Tests.Browser;

/// <summary><c>samples/BrandWebsite</c> of this build as a process on a loopback port, signing DEMO's customers in with the service.</summary>
public sealed class WebsiteProcess(int port, int apiPort) : IAsyncDisposable
{
    private readonly ConcurrentQueue<string> _output = new();
    private Process? _process;

    public async Task StartAsync()
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in new[]
        {
            Repository.Output(Path.Combine("samples", "BrandWebsite"), "Sessions.Samples.BrandWebsite.dll"),
            "--urls", $"http://127.0.0.1:{port.ToString(CultureInfo.InvariantCulture)}",
            // Its pages are served from the project's wwwroot, as `dotnet run` serves them.
            "--contentRoot", Path.Combine(Repository.Root, "samples", "BrandWebsite"),
            "--Sessions:Url", $"http://127.0.0.1:{apiPort.ToString(CultureInfo.InvariantCulture)}",
            "--Sessions:Brand", TestBrands.Demo,
        })
        {
            start.ArgumentList.Add(argument);
        }
        _process = Process.Start(start)!;
        _process.OutputDataReceived += (_, e) => Keep(e.Data);
        _process.ErrorDataReceived += (_, e) => Keep(e.Data);
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();

        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };
        var deadline = Stopwatch.StartNew();
        while (true)
        {
            Assert.False(_process.HasExited, $"the website exited:\n{string.Join('\n', _output)}");
            Assert.True(deadline.Elapsed < TimeSpan.FromSeconds(60), $"the website did not answer in 60 s:\n{string.Join('\n', _output)}");
            try
            {
                using var answer = await http.GetAsync($"http://127.0.0.1:{port}/site.json");
                if (answer.IsSuccessStatusCode)
                {
                    return;
                }
            }
            catch (HttpRequestException)
            {
            }
            await Task.Delay(100);
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_process is null)
        {
            return;
        }
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }
        _process.Dispose();
    }

    private void Keep(string? line)
    {
        if (line is not null)
        {
            _output.Enqueue(line);
        }
    }
}
