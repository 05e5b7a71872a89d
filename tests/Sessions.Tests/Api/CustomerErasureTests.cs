using System.Net;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Orleans;
using Sessions.Grains.Contracts;
using Sessions.Grains.Identity;
using Sessions.Tests.Infrastructure;

namespace Sessions.Tests.Api;

/// <summary>
/// Erasing a customer (<c>DELETE /admin/v1/brands/{brand}/customers/{customerId}</c>), for a customer who asked their brand
/// to delete their account: signed out everywhere, their identifiers free for a new customer, their password and history
/// gone, the brand's webhook told; and nothing a caller does around it brings them back.
/// </summary>
public sealed class CustomerErasureTests : IAsyncLifetime
{
    private const string SupportKey = TestAdminKeys.Support;
    private const string DemoReaderKey = TestAdminKeys.DemoReader;
    private const string GuardedKey = TestAdminKeys.Guarded;
    private const string Password = "first secret 1";

    private readonly CapturedLogs _logs = new();
    private WebhookReceiver _webhook = null!;
    private ApiFactory _api = null!;
    private SessionsClient _client = null!;

    public async Task InitializeAsync()
    {
        _webhook = await WebhookReceiver.StartAsync();
        var settings = TestAdminKeys.Settings();
        settings["Sessions:SecurityEvents:Webhook:Url"] = _webhook.Url + "/events";
        settings["Sessions:SecurityEvents:Webhook:Secret"] = "security-events-secret-of-32-characters!";
        _api = new ApiFactory(settings: settings, services: s => s.AddSingleton<ILoggerProvider>(_logs));
        _client = _api.CreateSessionsClient();
    }

    public async Task DisposeAsync()
    {
        await _api.DisposeAsync();
        await _webhook.DisposeAsync();
    }

    [Fact]
    public async Task AnErasedCustomerIsSignedOutEverywhereAndTheirIdentifiersStartANewCustomer()
    {
        var phone = TestDevice.NewMobile();
        var email = TestDevice.NewEmail(deviceId: phone.DeviceId);
        var first = await _client.LoginAsync(phone, ("password", Password), ("confirmPassword", Password));
        var app = await _client.MfaLoginAsync(phone, email, first);
        var web = await _client.WebLoginAsync(phone with { DeviceId = null });
        var customerId = Jwt.Payload(app.Token!).GetProperty("uid").GetString()!;

        using var erased = await SendAsync(HttpMethod.Delete, $"/admin/v1/brands/demo/customers/{customerId}", SupportKey);
        var erasedBody = await erased.OkJsonAsync();
        var appKey = await _client.PostAsync("mfa/token/regenerate", email.Body(("key", app.Key)));
        var primaryKey = await _client.PostAsync("token/regenerate", phone.Body(("key", first.Key)));
        var webToken = await _client.PostAsync("web/token/regenerate", (phone with { DeviceId = null }).Body(("expiredToken", web.Token)));
        var introspected = (await _client.IntrospectAsync(app.Token!)).GetRawText();
        using var phoneOwner = await SendAsync(HttpMethod.Get, $"/admin/v1/brands/DEMO/identifiers/MOBILE/{phone.IdentifierValue}", SupportKey);
        using var emailOwner = await SendAsync(HttpMethod.Get, $"/admin/v1/brands/DEMO/identifiers/EMAIL/{Uri.EscapeDataString(email.IdentifierValue)}", SupportKey);
        using var sessionsAfter = await SendAsync(HttpMethod.Get, $"/admin/v1/brands/DEMO/customers/{customerId}/sessions", SupportKey);
        using var historyAfter = await SendAsync(HttpMethod.Get, $"/admin/v1/brands/DEMO/customers/{customerId}/events", SupportKey);
        var oldPassword = await _client.PostAsync("password/validate", phone.Body(
            ("sessionId", (await SessionsClient.Ok(_client.PostAsync("token/generate", phone.Body()))).SessionId), ("password", Password)));
        using var describedAfter = await SendAsync(HttpMethod.Get, $"/admin/v1/brands/DEMO/customers/{customerId}", SupportKey);
        var described = await describedAfter.OkJsonAsync();
        var again = await _client.LoginAsync(phone);
        var secondFactorAgain = await _client.MfaLoginAsync(phone, email, again);

        Assert.Equal(HttpStatusCode.OK, erased.StatusCode);
        Assert.True(erasedBody.GetProperty("erased").GetBoolean());
        Assert.Equal(_api.Clock.GetUtcNow(), erasedBody.GetProperty("erasedAt").GetDateTimeOffset());
        Assert.Equal(3, erasedBody.GetProperty("revoked").GetInt32());
        Assert.Equal(2, erasedBody.GetProperty("identifiersReleased").GetInt32());
        Assert.Equal((1597, 1597, 1597), (appKey.Code, primaryKey.Code, webToken.Code));
        Assert.Equal("{\"active\":false}", introspected);
        Assert.Equal((HttpStatusCode.NotFound, HttpStatusCode.NotFound), (phoneOwner.StatusCode, emailOwner.StatusCode));
        Assert.Empty((await sessionsAfter.OkJsonAsync()).GetProperty("sessions").EnumerateArray());
        var history = (await historyAfter.OkJsonAsync()).GetProperty("events").EnumerateArray().ToList();
        var line = Assert.Single(history);
        Assert.Equal(("CUSTOMER_ERASED", "support"), (line.GetProperty("kind").GetString(), line.GetProperty("detail").GetString()));
        Assert.False(oldPassword.Success);
        Assert.Equal((false, false, 0, 0), (described.GetProperty("hasPassword").GetBoolean(), described.GetProperty("mfaCompleted").GetBoolean(),
            described.GetProperty("identifiers").GetArrayLength(), described.GetProperty("deviceSessions").GetInt32()));
        Assert.Equal(erasedBody.GetProperty("erasedAt").GetDateTimeOffset(), described.GetProperty("erasedAt").GetDateTimeOffset());
        var newCustomerId = Jwt.Payload(again.Token!).GetProperty("uid").GetString();
        Assert.NotEqual(customerId, newCustomerId);
        Assert.Equal(newCustomerId, Jwt.Payload(secondFactorAgain.Token!).GetProperty("uid").GetString());
        var told = await EventuallyReceivedAsync("CUSTOMER_ERASED");
        Assert.Equal(customerId, told.GetProperty("customerId").GetString());
        Assert.Contains(_logs.Entries, e => e.EventId.Id == 3020 && e.Values.GetValueOrDefault("Action") == "AdminEraseCustomer"
            && e.Values.GetValueOrDefault("KeyId") == "support" && e.Values.GetValueOrDefault("Target") == $"customer {customerId}"
            && e.Values.GetValueOrDefault("Status") == "200");
    }

    [Fact]
    public async Task ARetriedErasureAnswersTheSameAndChangesNothing()
    {
        var (phone, _, customerId) = await NewCustomerAsync();
        var path = $"/admin/v1/brands/DEMO/customers/{customerId}";

        using var erased = await SendAsync(HttpMethod.Delete, path, SupportKey);
        var firstAnswer = await erased.OkJsonAsync();
        var tablet = phone.OnDevice(TestDevice.NewDeviceId());
        var newCustomer = await _client.LoginAsync(tablet);
        _api.Clock.Advance(TimeSpan.FromMinutes(5));
        using var retried = await SendAsync(HttpMethod.Delete, path, SupportKey);
        var retriedAnswer = await retried.OkJsonAsync();
        using var history = await SendAsync(HttpMethod.Get, $"{path}/events", SupportKey);
        var newKey = await _client.PostAsync("token/regenerate", tablet.Body(("key", newCustomer.Key)));

        Assert.Equal(1, firstAnswer.GetProperty("revoked").GetInt32());
        Assert.Equal(HttpStatusCode.OK, retried.StatusCode);
        Assert.Equal(firstAnswer.GetProperty("erasedAt").GetDateTimeOffset(), retriedAnswer.GetProperty("erasedAt").GetDateTimeOffset());
        Assert.Equal((0, 0), (retriedAnswer.GetProperty("revoked").GetInt32(), retriedAnswer.GetProperty("identifiersReleased").GetInt32()));
        Assert.Single((await history.OkJsonAsync()).GetProperty("events").EnumerateArray());
        // The number's new customer, whose login came between the two calls, is not touched by the retry.
        Assert.True(newKey.Success, newKey.Body.GetRawText());
    }

    [Fact]
    public async Task OnlyAWritingKeyForTheBrandMayEraseACustomerAndAnUnknownOneIs404()
    {
        var (phone, login, customerId) = await NewCustomerAsync();
        var path = $"/admin/v1/brands/DEMO/customers/{customerId}";

        using var anonymous = await SendAsync(HttpMethod.Delete, path, key: null);
        using var reader = await SendAsync(HttpMethod.Delete, path, DemoReaderKey);
        using var otherBrand = await SendAsync(HttpMethod.Delete, path, GuardedKey);
        using var otherBrandsCustomer = await SendAsync(HttpMethod.Delete, $"/admin/v1/brands/GUARDED/customers/{customerId}", SupportKey);
        using var unknown = await SendAsync(HttpMethod.Delete, "/admin/v1/brands/DEMO/customers/no-such-customer", SupportKey);
        using var hostile = await SendAsync(HttpMethod.Delete, "/admin/v1/brands/DEMO/customers/%2F..%2F" + Uri.EscapeDataString(customerId), SupportKey);
        var stillLive = await _client.PostAsync("token/regenerate", phone.Body(("key", login.Key)));
        using var stillOwned = await SendAsync(HttpMethod.Get, $"/admin/v1/brands/DEMO/identifiers/MOBILE/{phone.IdentifierValue}", SupportKey);

        Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);
        Assert.Equal((HttpStatusCode.Forbidden, HttpStatusCode.Forbidden), (reader.StatusCode, otherBrand.StatusCode));
        foreach (var notFound in new[] { otherBrandsCustomer, unknown, hostile })
        {
            Assert.Equal(HttpStatusCode.NotFound, notFound.StatusCode);
            Assert.Equal("application/problem+json", notFound.Content.Headers.ContentType?.MediaType);
        }
        Assert.True(stillLive.Success, stillLive.Body.GetRawText());
        Assert.Equal(customerId, (await stillOwned.OkJsonAsync()).GetProperty("customerId").GetString());
    }

    [Fact]
    public async Task AnErasureCutShortAfterItsFirstStepIsFinishedByTheCustomersReminder()
    {
        var (phone, login, customerId) = await NewCustomerAsync();
        var customerKey = GrainKeys.Customer(TestBrands.Demo, customerId);
        var grains = _api.Services.GetRequiredService<IGrainFactory>();
        var reminders = _api.Services.GetRequiredService<IReminderTable>();
        var customer = GrainId.Create("customer", customerKey);

        // The erasure's silo died right after the customer took the first step: nothing else happened.
        await grains.GetGrain<ICustomerGrain>(customerKey).BeginErasureAsync("support");
        var keptReminder = await reminders.ReadRow(customer, "finish-erasure");
        await grains.GetGrain<IRemindable>(customer).ReceiveReminder("finish-erasure", new TickStatus(DateTime.UtcNow, TimeSpan.FromMinutes(1), DateTime.UtcNow));

        Assert.NotNull(keptReminder);
        await Eventually.HoldsAsync(async () => await reminders.ReadRow(customer, "finish-erasure") is null, TimeSpan.FromSeconds(30), "the erasure finishes and drops its reminder");
        Assert.Equal(1597, (await _client.PostAsync("token/regenerate", phone.Body(("key", login.Key)))).Code);
        using var owner = await SendAsync(HttpMethod.Get, $"/admin/v1/brands/DEMO/identifiers/MOBILE/{phone.IdentifierValue}", SupportKey);
        Assert.Equal(HttpStatusCode.NotFound, owner.StatusCode);
        using var history = await SendAsync(HttpMethod.Get, $"/admin/v1/brands/DEMO/customers/{customerId}/events", SupportKey);
        var line = Assert.Single((await history.OkJsonAsync()).GetProperty("events").EnumerateArray());
        Assert.Equal(("CUSTOMER_ERASED", "support"), (line.GetProperty("kind").GetString(), line.GetProperty("detail").GetString()));
    }

    [Fact]
    public async Task ErasingALockedOutCustomerLiftsNoLock()
    {
        var (phone, _, customerId) = await NewCustomerAsync(TestBrands.Guarded);
        var (sessionId, rightOtp) = await _client.LockOutAsync(phone);

        using var erased = await SendAsync(HttpMethod.Delete, $"/admin/v1/brands/GUARDED/customers/{customerId}", SupportKey);
        using var limits = await SendAsync(HttpMethod.Get, $"/admin/v1/brands/GUARDED/identifiers/MOBILE/{phone.IdentifierValue}/limits", SupportKey);
        var rightCode = await _client.PostAsync("otp/validate", phone.Body(("sessionId", sessionId), ("otp", rightOtp)));

        Assert.Equal(1, (await erased.OkJsonAsync()).GetProperty("identifiersReleased").GetInt32());
        Assert.True((await limits.OkJsonAsync()).GetProperty("locked").GetBoolean());
        Assert.Equal(1550, rightCode.Code);
    }

    [Fact]
    public async Task LoginsRacingTheErasureNeverBringTheCustomerBack()
    {
        for (var round = 0; round < 5; round++)
        {
            var (phone, login, customerId) = await NewCustomerAsync();
            // Logins whose codes are waiting on two more devices, validated while the erasure runs.
            var tablets = new[] { phone.OnDevice(TestDevice.NewDeviceId()), phone.OnDevice(TestDevice.NewDeviceId()) };
            var opened = new List<(TestDevice Device, string SessionId, string Otp)>();
            foreach (var tablet in tablets)
            {
                var sessionId = await _client.StartLoginAsync(tablet);
                opened.Add((tablet, sessionId, await _client.LatestOtpAsync(tablet)));
            }

            var racing = opened.Select(o => _client.PostAsync("otp/validate", o.Device.Body(("sessionId", o.SessionId), ("otp", o.Otp)))).ToList();
            using var erased = await SendAsync(HttpMethod.Delete, $"/admin/v1/brands/DEMO/customers/{customerId}", SupportKey);
            var logins = await Task.WhenAll(racing);

            Assert.Equal(HttpStatusCode.OK, erased.StatusCode);
            foreach (var (answer, (device, _, _)) in logins.Zip(opened))
            {
                if (!answer.Success)
                {
                    Assert.Equal(1505, answer.Code);
                    continue;
                }
                var key = await _client.PostAsync("token/regenerate", device.Body(("key", answer.Key)));
                if (Jwt.Payload(answer.Token!).GetProperty("uid").GetString() == customerId)
                {
                    // Completed before the erasure began: the erasure revoked it.
                    Assert.Equal(1597, key.Code);
                }
                else
                {
                    Assert.True(key.Success, key.Body.GetRawText());
                }
            }
            using var owner = await SendAsync(HttpMethod.Get, $"/admin/v1/brands/DEMO/identifiers/MOBILE/{phone.IdentifierValue}", SupportKey);
            if (owner.StatusCode == HttpStatusCode.OK)
            {
                Assert.NotEqual(customerId, (await owner.OkJsonAsync()).GetProperty("customerId").GetString());
            }
            Assert.Equal(1597, (await _client.PostAsync("token/regenerate", phone.Body(("key", login.Key)))).Code);
        }
    }

    /// <summary>A new customer logged in on a new phone by OTP: the phone, the login's answer and the customer's id.</summary>
    private async Task<(TestDevice Phone, ApiResponse Login, string CustomerId)> NewCustomerAsync(string brand = TestBrands.Demo)
    {
        var phone = TestDevice.NewMobile(brand);
        var login = await _client.LoginAsync(phone);
        return (phone, login, Jwt.Payload(login.Token!).GetProperty("uid").GetString()!);
    }

    private async Task<JsonElement> EventuallyReceivedAsync(string kind)
    {
        JsonElement found = default;
        await Eventually.HoldsAsync(() => Task.FromResult(_webhook.Received.Select(r => JsonDocument.Parse(r.Body).RootElement.Clone())
            .Any(e => e.GetProperty("kind").GetString() == kind && (found = e).ValueKind == JsonValueKind.Object)), TimeSpan.FromSeconds(30), $"the webhook gets {kind}");
        return found;
    }

    private Task<HttpResponseMessage> SendAsync(HttpMethod method, string path, string? key) => _client.SendAdminAsync(method, path, key);
}
