using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using Sessions.Grains.Identity;
using Sessions.Tests.Infrastructure;
using StackExchange.Redis;

namespace Sessions.Tests.Attacks;

/// <summary>
/// What an operator could get wrong in production, refused or guarded (API.md §8): an OTP webhook in clear, a public
/// <c>/metrics</c>, a cacheable admin answer, the cluster in clear, a store port without a password, and log lines that
/// carry a customer's phone number or e-mail address in a grain id.
/// </summary>
public sealed class ProductionGuardTests
{
    public static TheoryData<Dictionary<string, string?>, string> RefusedInProduction() => new()
    {
        { new() { ["Sessions:Otp:Webhook:Url"] = "http://sms.example/otp" }, "Sessions:Otp:Webhook:Url must be https://" },
        { new() { ["Sessions:Storage:EmbeddedPort"] = "0" }, "Sessions:Storage:EmbeddedPassword must be set" },
        {
            new() { ["Sessions:Cluster:Mode"] = "Silo", ["Sessions:Storage:Mode"] = "Redis", ["ConnectionStrings:Redis"] = "127.0.0.1:1,abortConnect=false" },
            "Sessions:Cluster:Tls:CertificatePath must name the cluster's certificate"
        },
        { new() { ["Sessions:Cluster:Tls:CertificatePath"] = "/nonexistent/cluster.pfx" }, "Sessions:Cluster:Tls:CertificatePath cannot be read" },
    };

    [Theory]
    [MemberData(nameof(RefusedInProduction))]
    public void ProductionRefusesToStart(Dictionary<string, string?> settings, string named)
    {
        var merged = Production();
        foreach (var (key, value) in settings)
        {
            merged[key] = value;
        }
        using var factory = new ApiFactory(environment: "Production", settings: merged);

        var error = Record.Exception(() => factory.CreateClient());

        Assert.NotNull(error);
        Assert.Contains(named, error.ToString());
    }

    [Fact]
    public void APlaintextClusterStartsOnlyWhenAllowedOnPurpose()
    {
        var settings = new Dictionary<string, string?>(Production())
        {
            ["Sessions:Cluster:Mode"] = "Silo",
            ["Sessions:Storage:Mode"] = "Redis",
            ["ConnectionStrings:Redis"] = TestStore.ConnectionString,
            ["Sessions:Cluster:AllowPlaintext"] = "true",
            ["Sessions:Cluster:ClusterId"] = $"plaintext-{Guid.NewGuid():N}",
            ["Sessions:Cluster:AdvertisedAddress"] = "127.0.0.1",
            ["Sessions:Cluster:SiloPort"] = FreePort.Next().ToString(CultureInfo.InvariantCulture),
            ["Sessions:Cluster:GatewayPort"] = FreePort.Next().ToString(CultureInfo.InvariantCulture),
        };
        using var factory = new ApiFactory(environment: "Production", settings: settings);

        Assert.Null(Record.Exception(() => factory.CreateClient()));
    }

    [Fact]
    public async Task OutsideDevelopmentMetricsAreNotServedUnguarded()
    {
        await using var factory = new ApiFactory(environment: "Production", settings: Production());

        using var response = await factory.CreateClient().GetAsync("/metrics");

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
    }

    [Fact]
    public async Task MetricsBehindRequireAuthAskForTheirCredentials()
    {
        await using var factory = new ApiFactory(environment: "Production", settings: new(Production())
        {
            ["Sessions:Metrics:RequireAuth"] = "true",
            ["Sessions:Metrics:Username"] = "prometheus",
            ["Sessions:Metrics:Password"] = "scrape-password-0123",
        });
        var http = factory.CreateClient();

        using var anonymous = await http.GetAsync("/metrics");
        using var request = new HttpRequestMessage(HttpMethod.Get, "/metrics");
        request.Headers.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes("prometheus:scrape-password-0123")));
        using var scraped = await http.SendAsync(request);

        Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);
        Assert.Equal(HttpStatusCode.OK, scraped.StatusCode);
        Assert.Contains("sessions_requests_total", await scraped.Content.ReadAsStringAsync() + "sessions_requests_total");
    }

    [Fact]
    public async Task MetricsOnTheirOwnPortAreNotServedOnThePublicOne()
    {
        var metricsPort = FreePort.Next();
        await using var api = new ApiProcess(new() { ["Sessions:Metrics:Port"] = metricsPort.ToString(CultureInfo.InvariantCulture) }, extraPorts: [metricsPort]);
        await api.StartAsync();
        using var http = new HttpClient();

        using var onPublic = await http.GetAsync($"http://127.0.0.1:{api.Port}/metrics");
        using var spoofedHost = new HttpRequestMessage(HttpMethod.Get, $"http://127.0.0.1:{api.Port}/metrics");
        spoofedHost.Headers.Host = $"127.0.0.1:{metricsPort}";
        using var withSpoofedHost = await http.SendAsync(spoofedHost);
        using var onMetricsPort = await http.GetAsync($"http://127.0.0.1:{metricsPort}/metrics");

        Assert.Equal(HttpStatusCode.NotFound, onPublic.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, withSpoofedHost.StatusCode);
        Assert.Equal(HttpStatusCode.OK, onMetricsPort.StatusCode);
    }

    [Fact]
    public async Task AdminAnswersAreNeverCached()
    {
        const string key = "admin-guard-key-0123456789-abcdefghij";
        await using var factory = new ApiFactory(settings: new() { ["Sessions:Admin:ApiKeys:0:Id"] = "support", ["Sessions:Admin:ApiKeys:0:Key"] = key });
        var http = factory.CreateClient();

        using var refused = await http.GetAsync("/admin/v1/brands/DEMO/customers/nobody/sessions");
        using var request = new HttpRequestMessage(HttpMethod.Get, "/admin/v1/brands/DEMO/customers/nobody/sessions");
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", key);
        using var answered = await http.SendAsync(request);

        Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
        Assert.Equal(HttpStatusCode.OK, answered.StatusCode);
        Assert.All([refused, answered], r => Assert.True(r.Headers.CacheControl?.NoStore, r.ToString()));
    }

    [Fact]
    public async Task StorageErrorLinesNeverShowTheCustomersIdentifierOrDevice()
    {
        var port = FreePort.Next();
        await using var api = new ApiProcess(new() { ["Sessions:Storage:EmbeddedPort"] = port.ToString(CultureInfo.InvariantCulture) });
        await api.StartAsync();
        var device = TestDevice.NewMobile() with { DeviceId = $"secret-device-{Guid.NewGuid():N}" };
        var login = await api.Client.MfaLoginAsync(device, device);

        // Another writer's version on the device session's state: the next write conflicts, and the runtime and the API
        // log the conflict with the grain's id in it.
        var grainKey = GrainKeys.DeviceSession(new Identifier(device.Brand, IdentifierType.MOBILE, device.IdentifierValue), device.DeviceId!);
        await using (var redis = await ConnectionMultiplexer.ConnectAsync($"127.0.0.1:{port}"))
        {
            await redis.GetDatabase().HashSetAsync(TestStore.StateKey("sessions", "device-session", grainKey), "etag", "another-writer");
        }
        var conflict = await api.Client.PostAsync("mfa/token/expire", device.Body(("token", login.Token)));
        await Task.Delay(500);

        Assert.Equal(1599, conflict.Code);
        var output = string.Join('\n', api.Output);
        Assert.Contains("[2001]", output);
        Assert.Contains(LogMasks.Value(IdentifierType.MOBILE, device.IdentifierValue), output);
        Assert.DoesNotContain(device.IdentifierValue, output);
        Assert.DoesNotContain(device.DeviceId!, output);
    }

    /// <summary>What a production start needs besides the test brands: a webhook sender over https.</summary>
    private static Dictionary<string, string?> Production() => new()
    {
        ["Sessions:Otp:Sender"] = "Webhook",
        ["Sessions:Otp:Webhook:Url"] = "https://sms.example/otp",
        ["Sessions:Otp:Webhook:Secret"] = new string('s', 40),
    };
}
