using System.Net;
using System.Net.Sockets;
using System.Text;
using Sessions.Tests.Infrastructure;

namespace Sessions.Tests.Attacks;

/// <summary>
/// Kestrel's limits from configuration (<c>Kestrel:Limits</c>), for an API that faces clients with no gateway in front:
/// idle connections opened by the hundred, and headers grown to fill memory, are refused at the limits it was given.
/// </summary>
public sealed class ConnectionLimitTests
{
    [Fact]
    public async Task IdleConnectionsBeyondTheConfiguredCapAreClosedAndTheServiceServesOnceTheyGo()
    {
        await using var api = new ApiProcess(new() { ["Kestrel:Limits:MaxConcurrentConnections"] = "4" });
        await api.StartAsync();
        // The client's own pooled connection to the API counts too: let it go, so that the idle ones below are the four.
        api.Client.Http.Dispose();

        var idle = new List<TcpClient>();
        for (var i = 0; i < 4; i++)
        {
            var tcp = new TcpClient();
            await tcp.ConnectAsync(IPAddress.Loopback, api.Port);
            idle.Add(tcp);
        }
        await Task.Delay(300);
        var beyondTheCap = await GetHealthAsync(api.Port);
        idle.ForEach(tcp => tcp.Dispose());
        await Task.Delay(300);
        var afterwards = await GetHealthAsync(api.Port);

        Assert.Equal("", beyondTheCap);
        Assert.StartsWith("HTTP/1.1 200 OK", afterwards);
    }

    [Fact]
    public async Task HeadersOverTheConfiguredSizeAreRefused()
    {
        await using var api = new ApiProcess(new() { ["Kestrel:Limits:MaxRequestHeadersTotalSize"] = "4096" });
        await api.StartAsync();

        var ordinary = await api.Client.PostAsync("mfa/token/regenerate", TestDevice.NewMobile().Body(("key", "not-a-key")));
        using var request = new HttpRequestMessage(HttpMethod.Get, "/health/live");
        request.Headers.Add("X-Padding", new string('a', 5000));
        using var tooLarge = await api.Client.Http.SendAsync(request);

        Assert.Equal(HttpStatusCode.RequestHeaderFieldsTooLarge, tooLarge.StatusCode);
        Assert.Equal((HttpStatusCode.Unauthorized, 1597), (ordinary.Status, ordinary.Code));
    }

    [Fact]
    public async Task ALimitKestrelRefusesStopsTheStartNamingTheSection()
    {
        await using var api = new ApiProcess(new() { ["Kestrel:Limits:MaxConcurrentConnections"] = "-5" });

        var refused = await Assert.ThrowsAnyAsync<Xunit.Sdk.XunitException>(api.StartAsync);

        Assert.Contains("Kestrel:Limits: Value must be null or a positive number", refused.Message);
    }

    /// <summary>One GET /health/live on a fresh connection: the answer's first bytes, or "" when the server closed it unanswered.</summary>
    private static async Task<string> GetHealthAsync(int port)
    {
        using var tcp = new TcpClient();
        await tcp.ConnectAsync(IPAddress.Loopback, port);
        var stream = tcp.GetStream();
        try
        {
            await stream.WriteAsync("GET /health/live HTTP/1.1\r\nHost: localhost\r\n\r\n"u8.ToArray());
            var buffer = new byte[256];
            using var quiet = new CancellationTokenSource(TimeSpan.FromSeconds(5));
            return Encoding.ASCII.GetString(buffer, 0, await stream.ReadAsync(buffer, quiet.Token));
        }
        catch (IOException)
        {
            return "";
        }
    }
}
