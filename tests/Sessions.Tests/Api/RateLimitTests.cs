using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Sessions.Tests.Infrastructure;

namespace Sessions.Tests.Api;

public sealed class RateLimitTests
{
    private const string Proxy = "10.0.0.5";

    [Fact]
    public async Task OtpSendingEndpointsAreLimitedPerClientAddress()
    {
        await using var factory = LimitedFactory();
        var client = factory.CreateSessionsClient();

        var answers = new List<ApiResponse>();
        for (var i = 0; i < 3; i++)
        {
            var device = TestDevice.NewMobile();
            var opened = await SessionsClient.Ok(client.PostAsync("token/generate", device.Body()));
            answers.Add(await client.PostAsync("otp/generate", device.Body(("sessionId", opened.SessionId))));
        }
        var otherEndpoint = await client.PostAsync("token/generate", TestDevice.NewMobile().Body());

        Assert.True(answers[0].Success && answers[1].Success);
        Assert.Equal((HttpStatusCode.TooManyRequests, 429), (answers[2].Status, answers[2].Code));
        Assert.NotNull(answers[2].Raw.Headers.RetryAfter);
        Assert.True(otherEndpoint.Success);
    }

    [Fact]
    public async Task ForwardedAddressesCountOnlyBehindAKnownProxy()
    {
        await using var factory = LimitedFactory();
        var client = factory.CreateSessionsClient();

        var viaProxyA = await SendOtpsAsync(client, peer: Proxy, forwardedFor: "203.0.113.1", count: 2);
        var viaProxyB = await SendOtpsAsync(client, peer: Proxy, forwardedFor: "203.0.113.2", count: 2);
        var spoofed = await SendOtpsAsync(client, peer: "198.51.100.7", forwardedFor: "203.0.113.3", count: 3);

        Assert.All(viaProxyA.Concat(viaProxyB), r => Assert.True(r.Success, r.Body.ToString()));
        Assert.Equal(HttpStatusCode.TooManyRequests, spoofed[2].Status);
    }

    private static async Task<List<ApiResponse>> SendOtpsAsync(SessionsClient client, string peer, string forwardedFor, int count)
    {
        var answers = new List<ApiResponse>();
        for (var i = 0; i < count; i++)
        {
            var device = TestDevice.NewMobile();
            var opened = await SessionsClient.Ok(client.PostAsync("token/generate", device.Body()));
            using var request = new HttpRequestMessage(HttpMethod.Post, "/auth/v1/otp/generate")
            {
                Content = new StringContent(device.Body(("sessionId", opened.SessionId)).ToJsonString(), System.Text.Encoding.UTF8, "application/json"),
            };
            request.Headers.Add(PeerFromHeader.Header, peer);
            request.Headers.Add("X-Forwarded-For", forwardedFor);
            answers.Add(await client.SendAsync(request));
        }
        return answers;
    }

    private static ApiFactory LimitedFactory() => new(
        settings: new()
        {
            ["Sessions:RateLimit:Enabled"] = "true",
            ["Sessions:RateLimit:OtpPerMinute"] = "2",
            ["Sessions:RateLimit:KnownProxies:0"] = Proxy,
        },
        services: s => s.AddTransient<IStartupFilter, PeerFromHeader>());

    /// <summary>The test server has no real peer address; this gives each request the one a test names.</summary>
    private sealed class PeerFromHeader : IStartupFilter
    {
        public const string Header = "X-Test-Peer";

        public Action<IApplicationBuilder> Configure(Action<IApplicationBuilder> next) => app =>
        {
            app.Use((context, nextMiddleware) =>
            {
                context.Connection.RemoteIpAddress = IPAddress.Parse(context.Request.Headers[Header].FirstOrDefault() ?? "192.0.2.1");
                return nextMiddleware(context);
            });
            next(app);
        };
    }
}
