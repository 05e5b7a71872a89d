using System.Globalization;
using Sessions.Tests.Infrastructure;

namespace Sessions.Tests.Browser;

/// <summary><c>samples/BrandWebsite</c> of this build as a process on a loopback port, signing DEMO's customers in with the service.</summary>
public sealed class WebsiteProcess(int port, int apiPort) : IAsyncDisposable
{
    private ChildProcess? _process;

    public async Task StartAsync()
    {
        _process = ChildProcess.Start(ChildProcess.Dotnet(
            Repository.Output(Path.Combine("samples", "BrandWebsite"), "Sessions.Samples.BrandWebsite.dll"),
            "--urls", $"http://127.0.0.1:{port.ToString(CultureInfo.InvariantCulture)}",
            // Its pages are served from the project's wwwroot, as `dotnet run` serves them.
            "--contentRoot", Path.Combine(Repository.Root, "samples", "BrandWebsite"),
            "--Sessions:Url", $"http://127.0.0.1:{apiPort.ToString(CultureInfo.InvariantCulture)}",
            "--Sessions:Brand", TestBrands.Demo));
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };
        await _process.WaitUntilReadyAsync("the website", () => ChildProcess.AnswersAsync(http, $"http://127.0.0.1:{port}/site.json"));
    }

    public async ValueTask DisposeAsync()
    {
        if (_process is not null)
        {
            await _process.DisposeAsync();
        }
    }
}
