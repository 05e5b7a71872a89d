using System.Net;
using Sessions.Tests.Infrastructure;

namespace Sessions.Tests.Attacks;

/// <summary>
/// Kestrel's limits from configuration (<c>Kestrel:Limits</c>), for an API that faces clients with no gateway in front:
/// idle connections opened by the hundred, and headers grown to fill memory, are refused at the limits it was given.
/// </summary>
public sealed class ConnectionLimitTests
{
    [Fact]
    public async Task ConnectionsBeyondTheConfiguredCapAreClosedAndTheServiceServesOnceTheyGo()
    {
        await using var api = new ApiProcess(new() { ["Kestrel:Limits:MaxConcurrentConnections"] = "4" });
        await api.StartAsync();
        api.Client.Http.Dispose();

        // Four connections that each got an answer and stay open (keep-alive), so the server holds all four.
        var held = new List<RawHttpConnection>();
        for (var i = 0; i < 4; i++)
        {
            held.Add(await AnsweredConnectionAsync(api.Port));
        }
        using var fifth = await RawHttpConnection.OpenAsync(api.Port);
        var beyondTheCap = await GetHealthAsync(fifth);
        held.ForEach(connection => connection.Dispose());
        using var afterwards = await AnsweredConnectionAsync(api.Port);

        Assert.Null(beyondTheCap);
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

    /// <summary>
    /// A connection the server answered on and keeps open. A close the server has not yet seen (the start-up client's,
    /// or one this test dropped) still counts against the cap for a moment, so a connection refused meanwhile is
    /// retried, for up to 5 s.
    /// </summary>
    private static async Task<RawHttpConnection> AnsweredConnectionAsync(int port)
    {
        var deadline = DateTime.UtcNow.AddSeconds(5);
        while (true)
        {
            var connection = await RawHttpConnection.OpenAsync(port);
            var answer = await GetHealthAsync(connection);
            if (answer?.Status == 200)
            {
                return connection;
            }
            connection.Dispose();
            Assert.True(DateTime.UtcNow < deadline, $"no connection answered in 5 s; the last: {answer}");
            await Task.Delay(100);
        }
    }

    /// <summary>One GET /health/live on <paramref name="connection"/>: the answer, or null when the server closed it unanswered.</summary>
    private static async Task<RawResponse?> GetHealthAsync(RawHttpConnection connection)
    {
        try
        {
            await connection.SendAsync("GET /health/live HTTP/1.1\r\nHost: localhost\r\n\r\n");
            return await connection.ReadResponseAsync(TimeSpan.FromSeconds(5));
        }
        catch (IOException)
        {
            return null;
        }
    }
}
