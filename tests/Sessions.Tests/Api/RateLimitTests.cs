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

    [Fact]
    public async Task WithNoKnownProxyAForwardedForHeaderIsBelievedFromNoOne()
    {
        await using var factory = LimitedFactory(knownProxies: []);
        var client = factory.CreateSessionsClient();

        var answers = new List<ApiResponse>();
        for (var i = 0; i < 3; i++)
        {
            answers.AddRange(await SendOtpsAsync(client, peer: "198.51.100.7", forwardedFor: $"203.0.113.{i + 10}", count: 1));
        }

        Assert.True(answers[0].Success && answers[1].Success);
        Assert.Equal(HttpStatusCode.TooManyRequests, answers[2].Status);
    }

    [Fact]
    public async Task AKnownProxyRangeInCidrIsBelievedAndOnlyIt()
    {
        await using var factory = LimitedFactory(knownProxies: ["10.0.0.0/8"]);
        var client = factory.CreateSessionsClient();

        var viaRangeA = await SendOtpsAsync(client, peer: "10.1.2.3", forwardedFor: "203.0.113.21", count: 2);
        var viaRangeB = await SendOtpsAsync(client, peer: "10.200.0.9", forwardedFor: "203.0.113.22", count: 2);
        var outside = await SendOtpsAsync(client, peer: "11.0.0.1", forwardedFor: "203.0.113.23", count: 3);

        Assert.All(viaRangeA.Concat(viaRangeB), r => Assert.True(r.Success, r.Body.ToString()));
        Assert.Equal(HttpStatusCode.TooManyRequests, outside[2].Status);
    }

    [Fact]
    public async Task IPv6ClientsAreLimitedPerSlash64()
    {
        await using var factory = LimitedFactory(knownProxies: []);
        var client = factory.CreateSessionsClient();

        var sameNetwork = new List<ApiResponse>();
        for (var i = 1; i <= 3; i++)
        {
            sameNetwork.AddRange(await SendOtpsAsync(client, peer: $"2001:db8:1:2::{i:x}", forwardedFor: "203.0.113.30", count: 1));
        }
        var otherNetwork = await SendOtpsAsync(client, peer: "2001:db8:1:3::1", forwardedFor: "203.0.113.30", count: 1);

        Assert.Equal(HttpStatusCode.TooManyRequests, sameNetwork[2].Status);
        Assert.True(otherNetwork[0].Success, otherNetwork[0].Body.ToString());
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

    private static ApiFactory LimitedFactory(string[]? knownProxies = null)
    {
        var settings = new Dictionary<string, string?>
        {
            ["Sessions:RateLimit:Enabled"] = "true",
            ["Sessions:RateLimit:OtpPerMinute"] = "2",
        };
        var proxies = knownProxies ?? [Proxy];
        for (var i = 0; i < proxies.Length; i++)
        {
            settings[$"Sessions:RateLimit:KnownProxies:{i}"] = proxies[i];
        }
        return new(settings: settings, services: s => s.AddTransient<IStartupFilter, PeerFromHeader>());
    }

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
