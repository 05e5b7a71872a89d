using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Sessions.Grains.Contracts;
using Sessions.Grains.Otp;
using Sessions.Silo.Storage;
using Sessions.Tests.Infrastructure;

namespace Sessions.Tests.Api;

[Collection(ApiCollection.Name)]
public sealed class OperationsTests(ApiFixture fixture)
{
    [Fact]
    public async Task TheOpenApiDocumentListsEveryEndpointWithItsRequestAndErrorCodes()
    {
        var document = JsonDocument.Parse(await fixture.Client.Http.GetStringAsync("/openapi/v1.json")).RootElement;
        var paths = document.GetProperty("paths");
        var endpoints = fixture.Factory.Services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>()
            .Where(e => e.RoutePattern.RawText!.StartsWith("/auth/v1", StringComparison.Ordinal))
            .Where(e => !e.Metadata.OfType<HttpMethodMetadata>().Single().HttpMethods.Contains("GET"))
            .Where(e => e.RoutePattern.RawText != "/auth/v1/token/introspect").ToList();

        Assert.Equal(26, endpoints.Count);
        Assert.True(paths.GetProperty("/auth/v1/brands/{brand}/jwks.json").TryGetProperty("get", out _));
        Assert.True(paths.GetProperty("/auth/v1/token/introspect").TryGetProperty("post", out _));
        foreach (var endpoint in endpoints)
        {
            var path = paths.GetProperty(endpoint.RoutePattern.RawText!);
            foreach (var method in endpoint.Metadata.OfType<HttpMethodMetadata>().Single().HttpMethods)
            {
                var operation = path.GetProperty(method.ToLowerInvariant());
                var requestBody = operation.GetProperty("requestBody").GetProperty("content").GetProperty("application/json");
                Assert.Equal("Bukl", requestBody.GetProperty("example").GetProperty("brand").GetString());
                var responses = operation.GetProperty("responses");
                Assert.True(responses.TryGetProperty("200", out _));
                Assert.Contains("1519", responses.GetProperty("400").GetProperty("description").GetString());
                Assert.Contains("1599", responses.GetProperty("503").GetProperty("description").GetString());
            }
        }
        var regenerate = paths.GetProperty("/auth/v1/mfa/token/regenerate").GetProperty("post").GetProperty("responses");
        Assert.Contains("1525", regenerate.GetProperty("401").GetProperty("description").GetString());
        Assert.Contains("1597", regenerate.GetProperty("401").GetProperty("description").GetString());
        var web = paths.GetProperty("/auth/v1/web/token/regenerate").GetProperty("post");
        Assert.Contains("1525", web.GetProperty("responses").GetProperty("401").GetProperty("description").GetString());
        Assert.Contains("expiredToken", web.GetProperty("requestBody").GetRawText());
        var signOut = paths.GetProperty("/auth/v1/user/sessions/revokeOthers").GetProperty("post").GetProperty("responses");
        Assert.Contains("1564", signOut.GetProperty("401").GetProperty("description").GetString());
        var schemas = document.GetProperty("components").GetProperty("schemas");
        var keyRequest = schemas.GetProperty("KeyRequest");
        Assert.Contains("key", keyRequest.GetProperty("required").EnumerateArray().Select(e => e.GetString()));
        Assert.Contains("optional on /web", keyRequest.GetProperty("properties").GetProperty("deviceId").GetProperty("description").GetString());
        Assert.Contains("expiredToken", schemas.GetProperty("WebRegenerateRequest").GetProperty("required").EnumerateArray().Select(e => e.GetString()));
        Assert.Contains("MOBILE", schemas.GetRawText());
    }

    [Fact]
    public async Task TheDocsPageServesTheInteractiveReference()
    {
        var response = await fixture.Client.Http.GetAsync("/docs");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Contains("text/html", response.Content.Headers.ContentType!.ToString());
    }

    [Fact]
    public async Task MetricsCountLoginsRequestsAndIncludeOrleans()
    {
        var device = TestDevice.NewMobile();
        await fixture.Client.MfaLoginAsync(device, device);

        var metrics = await fixture.Client.Http.GetStringAsync("/metrics");

        Assert.Contains("sessions_requests_total{", metrics);
        Assert.Contains("sessions_request_duration_seconds_bucket{", metrics);
        Assert.Contains("sessions_logins_total{", metrics);
        Assert.Contains("sessions_otp_sent_total{", metrics);
        Assert.Contains("orleans_", metrics);
        Assert.Contains("http_server_request_duration_seconds", metrics);
    }

    [Fact]
    public async Task HealthIsLiveAndReadyWithEveryCheck()
    {
        var live = await fixture.Client.Http.GetAsync("/health/live");
        var ready = JsonDocument.Parse(await fixture.Client.Http.GetStringAsync("/health/ready")).RootElement;

        Assert.Equal(HttpStatusCode.OK, live.StatusCode);
        Assert.Equal("Healthy", ready.GetProperty("status").GetString());
        Assert.Equal(["store", "cluster", "signing-keys", "not-stopping"], ready.GetProperty("checks").EnumerateObject().Select(p => p.Name));
    }
}

public sealed class OperationsFailureTests
{
    [Fact]
    public async Task ReadinessFailsWhenTheStoreStopsWhileLivenessHolds()
    {
        await using var factory = new ApiFactory();
        var client = factory.CreateClient();

        factory.Services.GetRequiredService<EmbeddedGarnet>().Dispose();
        var ready = await client.GetAsync("/health/ready");
        var live = await client.GetAsync("/health/live");

        Assert.Equal(HttpStatusCode.ServiceUnavailable, ready.StatusCode);
        Assert.Contains("\"store\":{\"status\":\"Unhealthy\"", await ready.Content.ReadAsStringAsync());
        Assert.Equal(HttpStatusCode.OK, live.StatusCode);
    }

    [Fact]
    public async Task AnInternalErrorNamesACorrelationIdThatTheLogRepeats()
    {
        var logs = new CapturedLogs();
        await using var factory = new ApiFactory(services: s =>
        {
            s.AddSingleton<ILoggerProvider>(logs);
            s.AddSingleton<IOtpSender, BrokenSender>();
        });
        var client = factory.CreateSessionsClient();
        var device = TestDevice.NewMobile();
        var opened = await SessionsClient.Ok(client.PostAsync("token/generate", device.Body()));

        var response = await client.PostAsync("otp/generate", device.Body(("sessionId", opened.SessionId)));

        Assert.Equal((HttpStatusCode.InternalServerError, 1500), (response.Status, response.Code));
        var correlationId = response.Message.Split("correlation id ")[1].TrimEnd('.');
        Assert.Contains(logs.Entries, e => e.EventId.Id == 2002 && e.Values.GetValueOrDefault("CorrelationId") == correlationId);
        Assert.DoesNotContain("Exception", response.Message);
    }

    [Fact]
    public async Task TheDashboardNeedsItsCredentialAndIsOffByDefault()
    {
        await using var off = new ApiFactory();
        await using var on = new ApiFactory(settings: new()
        {
            ["Sessions:Dashboard:Enabled"] = "true",
            ["Sessions:Dashboard:Username"] = "ops",
            ["Sessions:Dashboard:Password"] = "a-long-dashboard-password",
        });
        var client = on.CreateClient();

        var notMapped = await off.CreateClient().GetAsync("/dashboard");
        var anonymous = await client.GetAsync("/dashboard/");
        var wrong = await client.SendAsync(WithBasic("/dashboard/", "ops", "wrong-password-123456"));
        var right = await client.SendAsync(WithBasic("/dashboard/", "ops", "a-long-dashboard-password"));

        Assert.Equal(HttpStatusCode.NotFound, notMapped.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, wrong.StatusCode);
        Assert.True(right.StatusCode == HttpStatusCode.OK, await right.Content.ReadAsStringAsync());
    }

    private static HttpRequestMessage WithBasic(string path, string user, string password) => new(HttpMethod.Get, path)
    {
        Headers = { Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"{user}:{password}"))) },
    };

    private sealed class BrokenSender : IOtpSender
    {
        public Task SendAsync(OtpMessage message, CancellationToken cancellationToken) => throw new InvalidOperationException("a bug in a sender");
    }
}
