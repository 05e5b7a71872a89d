using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Orleans;
using Sessions.Tests.Infrastructure;

namespace Sessions.Tests.Api;

/// <summary>
/// <c>/admin/v1</c> (API.md §4.6): support finds a customer, lists their live families with masked identifiers, and
/// revokes one or all; every call needs a configured bearer key (plain or <c>sha256:</c>), and is audited by key id.
/// </summary>
public sealed class AdminTests : IAsyncLifetime
{
    private const string SupportKey = TestAdminKeys.Support;
    private const string OpsKey = TestAdminKeys.Ops;
    private const string DemoReaderKey = TestAdminKeys.DemoReader;
    private const string GuardedKey = TestAdminKeys.Guarded;

    private readonly CapturedLogs _logs = new();
    private ApiFactory _api = null!;
    private SessionsClient _client = null!;

    public Task InitializeAsync()
    {
        _api = new ApiFactory(
            settings: TestAdminKeys.Settings(),
            services: s => s.AddSingleton<ILoggerProvider>(_logs));
        _client = _api.CreateSessionsClient();
        return Task.CompletedTask;
    }

    public async Task DisposeAsync() => await _api.DisposeAsync();

    [Fact]
    public async Task SupportFindsACustomerListsTheirLiveFamiliesAndRevokesOneThenAll()
    {
        var phone = TestDevice.NewMobile();
        var app = await _client.MfaLoginAsync(phone, phone);
        var web = await _client.WebLoginAsync(phone with { DeviceId = null });
        var customerId = Jwt.Payload(app.Token!).GetProperty("uid").GetString();

        var found = await GetAsync($"/admin/v1/brands/demo/identifiers/MOBILE/{Uri.EscapeDataString("+" + phone.IdentifierValue)}", SupportKey);
        var listed = await GetAsync($"/admin/v1/brands/DEMO/customers/{customerId}/sessions", OpsKey);
        var webFamily = Jwt.Payload(web.Token!).GetProperty("sid").GetString();
        var revokedOne = await SendAsync(HttpMethod.Delete, $"/admin/v1/brands/DEMO/customers/{customerId}/sessions/{webFamily}", SupportKey);
        var webAfter = await _client.PostAsync("web/token/regenerate", (phone with { DeviceId = null }).Body(("expiredToken", web.Token)));
        var revokedAll = await SendAsync(HttpMethod.Delete, $"/admin/v1/brands/DEMO/customers/{customerId}/sessions", SupportKey);
        var appAfter = await _client.PostAsync("mfa/token/regenerate", phone.Body(("key", app.Key)));
        var introspected = (await _client.IntrospectAsync(app.Token!)).GetRawText();
        var again = await SendAsync(HttpMethod.Delete, $"/admin/v1/brands/DEMO/customers/{customerId}/sessions/{webFamily}", SupportKey);
        var emptied = await GetAsync($"/admin/v1/brands/DEMO/customers/{customerId}/sessions", SupportKey);

        Assert.Equal(customerId, found.GetProperty("customerId").GetString());
        var sessions = listed.GetProperty("sessions").EnumerateArray().ToList();
        Assert.All(sessions, s => Assert.DoesNotContain(phone.IdentifierValue, s.GetProperty("identifierValue").GetString(), StringComparison.Ordinal));
        Assert.Equal(["MFA", "PRIMARY", "WEB"], sessions.SelectMany(s => s.GetProperty("families").EnumerateArray()).Select(f => f.GetProperty("flow").GetString()).Order());
        Assert.Contains(sessions, s => s.GetProperty("deviceId").ValueKind == JsonValueKind.Null);
        Assert.Equal(HttpStatusCode.NoContent, revokedOne.StatusCode);
        Assert.Equal(1597, webAfter.Code);
        Assert.Equal(2, JsonDocument.Parse(await revokedAll.Content.ReadAsStringAsync()).RootElement.GetProperty("revoked").GetInt32());
        Assert.Equal(1597, appAfter.Code);
        Assert.Equal("{\"active\":false}", introspected);
        Assert.Equal(HttpStatusCode.NotFound, again.StatusCode);
        Assert.Empty(emptied.GetProperty("sessions").EnumerateArray());
        Assert.Contains(_logs.Entries, e => e.EventId.Id == 3020 && e.Values.GetValueOrDefault("KeyId") == "ops");
        Assert.DoesNotContain(_logs.Entries, e => e.Everything.Contains(SupportKey, StringComparison.Ordinal) || e.Everything.Contains(OpsKey, StringComparison.Ordinal));
    }

    [Fact]
    public async Task TheSecurityHistorySaysWhyEachSessionEndedNewestFirstWithMaskedIdentifiersAndNoSecrets()
    {
        var phone = TestDevice.NewMobile();
        var first = await _client.LoginAsync(phone);
        var customerId = Jwt.Payload(first.Token!).GetProperty("uid").GetString();
        var rotated = await SessionsClient.Ok(_client.PostAsync("token/regenerate", phone.Body(("key", first.Key))));
        _api.Clock.Advance(TimeSpan.FromSeconds(31));
        var replayedAt = _api.Clock.GetUtcNow();
        Assert.Equal(1525, (await _client.PostAsync("token/regenerate", phone.Body(("key", first.Key)))).Code);
        Assert.Equal(1525, (await _client.PostAsync("token/regenerate", phone.Body(("key", first.Key)))).Code);
        var laptop = await _client.LoginAsync(phone.OnDevice(TestDevice.NewDeviceId()));
        var laptopFamily = Jwt.Payload(laptop.Token!).GetProperty("sid").GetString();
        await SendAsync(HttpMethod.Delete, $"/admin/v1/brands/DEMO/customers/{customerId}/sessions/{laptopFamily}", SupportKey);
        var again = await _client.LoginAsync(phone);
        var moved = TestDevice.NewMobile() with { DeviceId = phone.DeviceId };
        Assert.Equal(HttpStatusCode.OK, (await _client.ChangeIdentifierAsync(phone, again.Token!, moved.IdentifierValue)).Status);
        var tablet = moved.OnDevice(TestDevice.NewDeviceId());
        var mfa = await _client.MfaLoginAsync(tablet, tablet);
        await SessionsClient.Ok(_client.PostAsync("mfa/token/expire", tablet.Body(("token", mfa.Token))));

        var history = await GetAsync($"/admin/v1/brands/demo/customers/{customerId}/events", SupportKey);
        var refused = await SendAsync(HttpMethod.Get, $"/admin/v1/brands/DEMO/customers/{customerId}/events", key: null);

        var events = history.GetProperty("events").EnumerateArray().ToList();
        string Line(JsonElement e) => $"{e.GetProperty("kind").GetString()} {e.GetProperty("flow").GetString()} {e.GetProperty("reason").GetString() ?? e.GetProperty("factor").GetString()}".TrimEnd();
        Assert.Equal(
            [
                "FAMILY_REVOKED MFA logout", "LOGIN MFA otp", "LOGIN PRIMARY otp",
                "FAMILY_REVOKED PRIMARY identifier changed", "IDENTIFIER_CHANGED PRIMARY", "LOGIN PRIMARY otp",
                "FAMILY_REVOKED PRIMARY revoked by an administrator", "LOGIN PRIMARY otp",
                "KEY_REUSE_DETECTED PRIMARY key reuse detected", "LOGIN PRIMARY otp",
            ],
            events.Select(Line));
        var reuse = events[8];
        Assert.Equal(replayedAt, reuse.GetProperty("at").GetDateTimeOffset());
        // Detected once: a replay of the revoked family's keys is refused without a new line (a thief cannot flood the history).
        Assert.Equal(1, reuse.GetProperty("count").GetInt32());
        Assert.Equal(Jwt.Payload(rotated.Token!).GetProperty("sid").GetString(), reuse.GetProperty("familyId").GetString());
        Assert.StartsWith(phone.DeviceId![..4], reuse.GetProperty("device").GetString(), StringComparison.Ordinal);
        Assert.DoesNotContain(phone.DeviceId, history.GetRawText(), StringComparison.Ordinal);
        Assert.DoesNotContain(phone.IdentifierValue, history.GetRawText(), StringComparison.Ordinal);
        Assert.DoesNotContain(moved.IdentifierValue, history.GetRawText(), StringComparison.Ordinal);
        Assert.EndsWith(moved.IdentifierValue[^3..], events[4].GetProperty("detail").GetString(), StringComparison.Ordinal);
        foreach (var secret in new[] { first.Key!, rotated.Key!, first.Token!, mfa.Key!, laptop.Token! })
        {
            Assert.DoesNotContain(secret, history.GetRawText(), StringComparison.Ordinal);
        }
        Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
    }

    [Fact]
    public async Task SupportSeesWhatACustomerSetUpAndWhenTheyLastLoggedInWithTheirIdentifiersMasked()
    {
        var phone = TestDevice.NewMobile();
        var email = TestDevice.NewEmail(deviceId: phone.DeviceId);
        var first = await _client.LoginAsync(phone, ("password", "first secret 1"), ("confirmPassword", "first secret 1"));
        _api.Clock.Advance(TimeSpan.FromMinutes(3));
        var mfa = await _client.MfaLoginAsync(phone, email, first);
        var customerId = Jwt.Payload(mfa.Token!).GetProperty("uid").GetString();
        var path = $"/admin/v1/brands/DEMO/customers/{customerId}";

        var described = await GetAsync(path, DemoReaderKey);
        using var otherBrand = await SendAsync(HttpMethod.Get, path, GuardedKey);
        using var unknown = await SendAsync(HttpMethod.Get, "/admin/v1/brands/DEMO/customers/no-such-customer", SupportKey);

        Assert.Equal(customerId, described.GetProperty("customerId").GetString());
        Assert.Equal((true, false, true), (described.GetProperty("hasPassword").GetBoolean(), described.GetProperty("hasMfaPassword").GetBoolean(),
            described.GetProperty("mfaCompleted").GetBoolean()));
        var identifiers = described.GetProperty("identifiers").EnumerateArray().ToList();
        Assert.Equal(["EMAIL", "MOBILE"], identifiers.Select(i => i.GetProperty("identifierType").GetString()).Order());
        Assert.EndsWith(phone.IdentifierValue[^3..], identifiers.Single(i => i.GetProperty("identifierType").GetString() == "MOBILE").GetProperty("identifierValue").GetString(), StringComparison.Ordinal);
        Assert.DoesNotContain(phone.IdentifierValue, described.GetRawText(), StringComparison.Ordinal);
        Assert.DoesNotContain(email.IdentifierValue, described.GetRawText(), StringComparison.Ordinal);
        Assert.DoesNotContain("first secret 1", described.GetRawText(), StringComparison.Ordinal);
        Assert.Equal(2, described.GetProperty("deviceSessions").GetInt32());
        Assert.Equal(_api.Clock.GetUtcNow(), described.GetProperty("lastLoginAt").GetDateTimeOffset());
        Assert.Equal(JsonValueKind.Null, described.GetProperty("erasedAt").ValueKind);
        Assert.Equal(HttpStatusCode.Forbidden, otherBrand.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
    }

    [Fact]
    public async Task TheSecurityHistoryKeepsTheNewestHundredEvents()
    {
        var phone = TestDevice.NewMobile();
        var customerId = Jwt.Payload((await _client.LoginAsync(phone)).Token!).GetProperty("uid").GetString();
        for (var i = 0; i < 101; i++)
        {
            // Past the OTP send window each time.
            _api.Clock.Advance(TimeSpan.FromHours(1));
            await _client.LoginAsync(phone);
        }

        var events = (await GetAsync($"/admin/v1/brands/DEMO/customers/{customerId}/events", SupportKey)).GetProperty("events").EnumerateArray().ToList();

        Assert.Equal(100, events.Count);
        Assert.Equal(_api.Clock.GetUtcNow(), events[0].GetProperty("at").GetDateTimeOffset());
        Assert.Equal(events.Select(e => e.GetProperty("at").GetDateTimeOffset()).OrderDescending(), events.Select(e => e.GetProperty("at").GetDateTimeOffset()));
    }

    [Fact]
    public async Task SupportSeesWhyACustomerIsLockedOutAndLiftsTheLockSoTheyLogInAgain()
    {
        var phone = TestDevice.NewMobile(TestBrands.Guarded);
        var customerId = Jwt.Payload((await _client.LoginAsync(phone)).Token!).GetProperty("uid").GetString();
        var (sessionId, right) = await _client.LockOutAsync(phone);
        var limitsPath = $"/admin/v1/brands/guarded/identifiers/MOBILE/{phone.IdentifierValue}/limits";
        var lockPath = $"/admin/v1/brands/GUARDED/identifiers/MOBILE/{phone.IdentifierValue}/lock";

        var locked = await GetAsync(limitsPath, SupportKey);
        var refused = await _client.PostAsync("otp/validate", phone.Body(("sessionId", sessionId), ("otp", right)));
        var lifted = await SendAsync(HttpMethod.Delete, lockPath, OpsKey);
        var liftedBody = JsonDocument.Parse(await lifted.Content.ReadAsStringAsync()).RootElement;
        var afterLift = await GetAsync(limitsPath, SupportKey);
        var login = await _client.PostAsync("otp/validate", phone.Body(("sessionId", sessionId), ("otp", right)));
        var again = JsonDocument.Parse(await (await SendAsync(HttpMethod.Delete, lockPath, SupportKey)).Content.ReadAsStringAsync()).RootElement;
        var history = await GetAsync($"/admin/v1/brands/GUARDED/customers/{customerId}/events", SupportKey);

        var lockedUntil = _api.Clock.GetUtcNow().AddMinutes(15);
        Assert.True(locked.GetProperty("locked").GetBoolean());
        Assert.Equal(lockedUntil, locked.GetProperty("lockedUntil").GetDateTimeOffset());
        Assert.Equal((0, 4, 30), (locked.GetProperty("recentFailures").GetInt32(), locked.GetProperty("maxFailures").GetInt32(), locked.GetProperty("failureWindowMinutes").GetInt32()));
        Assert.Equal((2, 3, JsonValueKind.Null), (locked.GetProperty("otpSends").GetInt32(), locked.GetProperty("maxOtpSends").GetInt32(), locked.GetProperty("nextOtpSendAt").ValueKind));
        Assert.Equal(1550, refused.Code);
        Assert.Equal(HttpStatusCode.OK, lifted.StatusCode);
        Assert.True(liftedBody.GetProperty("lifted").GetBoolean());
        Assert.Equal(lockedUntil, liftedBody.GetProperty("lockedUntil").GetDateTimeOffset());
        Assert.False(afterLift.GetProperty("locked").GetBoolean());
        Assert.Equal(JsonValueKind.Null, afterLift.GetProperty("lockedUntil").ValueKind);
        Assert.True(login.Success, login.Body.GetRawText());
        Assert.False(again.GetProperty("lifted").GetBoolean());
        Assert.Equal(0, again.GetProperty("failuresCleared").GetInt32());
        var events = history.GetProperty("events").EnumerateArray().ToList();
        Assert.Equal(["LOGIN", "LOCK_LIFTED", "IDENTIFIER_LOCKED", "LOGIN"], events.Select(e => e.GetProperty("kind").GetString()));
        Assert.Equal("ops", events[1].GetProperty("detail").GetString());
        Assert.Equal(lockedUntil, events[2].GetProperty("detail").GetDateTimeOffset());
        Assert.DoesNotContain(phone.IdentifierValue, history.GetRawText(), StringComparison.Ordinal);
        Assert.Contains(_logs.Entries, e => e.EventId.Id == 3020 && e.Values.GetValueOrDefault("Action") == "AdminLiftLock" && e.Values.GetValueOrDefault("KeyId") == "ops");
        Assert.Contains(_logs.Entries, e => e.EventId.Id == 1013 && e.Values.GetValueOrDefault("KeyId") == "ops");
    }

    [Fact]
    public async Task LiftingALockForgetsTheFailuresButKeepsTheLockoutAndTheSendWindow()
    {
        // No customer holds the identifier yet: a new customer who mistyped is as locked out as an existing one.
        var phone = TestDevice.NewMobile(TestBrands.Guarded);
        var sessionId = await _client.StartLoginAsync(phone);
        var right = await _client.LatestOtpAsync(phone);
        await _client.GuessWrongAsync(phone, sessionId, right, 2);
        var limitsPath = $"/admin/v1/brands/GUARDED/identifiers/MOBILE/{phone.IdentifierValue}/limits";
        var lockPath = $"/admin/v1/brands/GUARDED/identifiers/MOBILE/{phone.IdentifierValue}/lock";

        var before = await GetAsync(limitsPath, SupportKey);
        var lifted = JsonDocument.Parse(await (await SendAsync(HttpMethod.Delete, lockPath, SupportKey)).Content.ReadAsStringAsync()).RootElement;
        var guesses = await _client.GuessWrongAsync(phone, sessionId, right, 4);
        var anonymousLift = await SendAsync(HttpMethod.Delete, lockPath, key: null);
        var forgedLift = await SendAsync(HttpMethod.Delete, lockPath, SupportKey + "x");
        var stillLocked = await _client.PostAsync("otp/validate", phone.Body(("sessionId", sessionId), ("otp", right)));
        (await SendAsync(HttpMethod.Delete, lockPath, SupportKey)).EnsureSuccessStatusCode();
        await SessionsClient.Ok(_client.PostAsync("otp/generate", phone.Body(("sessionId", sessionId))));
        await SessionsClient.Ok(_client.PostAsync("otp/generate", phone.Body(("sessionId", sessionId))));
        var overWindow = await _client.PostAsync("otp/generate", phone.Body(("sessionId", sessionId)));
        (await SendAsync(HttpMethod.Delete, lockPath, SupportKey)).EnsureSuccessStatusCode();
        var overWindowAfterLift = await _client.PostAsync("otp/generate", phone.Body(("sessionId", sessionId)));
        var full = await GetAsync(limitsPath, SupportKey);
        var hostile = await SendAsync(HttpMethod.Get, "/admin/v1/brands/GUARDED/identifiers/MOBILE/%3Cscript%3E/limits", SupportKey);
        var unknownBrand = await SendAsync(HttpMethod.Delete, $"/admin/v1/brands/NOPE/identifiers/MOBILE/{phone.IdentifierValue}/lock", SupportKey);

        Assert.Equal((false, 2), (before.GetProperty("locked").GetBoolean(), before.GetProperty("recentFailures").GetInt32()));
        Assert.Equal((false, 2), (lifted.GetProperty("lifted").GetBoolean(), lifted.GetProperty("failuresCleared").GetInt32()));
        // Forgotten: without the lift, the second of these would have locked (2 + 2 = 4).
        Assert.Equal([1506, 1506, 1506, 1550], guesses.Select(g => g.Code));
        Assert.Equal(HttpStatusCode.Unauthorized, anonymousLift.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, forgedLift.StatusCode);
        Assert.Equal(1550, stillLocked.Code);
        Assert.Equal((HttpStatusCode.TooManyRequests, 1534), (overWindow.Status, overWindow.Code));
        Assert.Equal(1534, overWindowAfterLift.Code);
        Assert.Equal(3, full.GetProperty("otpSends").GetInt32());
        Assert.True(full.GetProperty("nextOtpSendAt").GetDateTimeOffset() > _api.Clock.GetUtcNow());
        Assert.Equal(HttpStatusCode.BadRequest, hostile.StatusCode);
        Assert.Equal("application/problem+json", hostile.Content.Headers.ContentType?.MediaType);
        Assert.Equal(HttpStatusCode.BadRequest, unknownBrand.StatusCode);
    }

    [Fact]
    public async Task AGuesserWhoLocksTheIdentifierAgainAndAgainAddsOneLineToTheHistory()
    {
        var phone = TestDevice.NewMobile(TestBrands.Guarded);
        var customerId = Jwt.Payload((await _client.LoginAsync(phone)).Token!).GetProperty("uid").GetString();
        for (var i = 0; i < 3; i++)
        {
            // Past the lock and the send window each time.
            _api.Clock.Advance(TimeSpan.FromMinutes(16));
            await _client.LockOutAsync(phone);
        }

        var events = (await GetAsync($"/admin/v1/brands/GUARDED/customers/{customerId}/events", SupportKey)).GetProperty("events").EnumerateArray().ToList();

        Assert.Equal(["IDENTIFIER_LOCKED", "LOGIN"], events.Select(e => e.GetProperty("kind").GetString()));
        Assert.Equal(3, events[0].GetProperty("count").GetInt32());
        Assert.Equal(_api.Clock.GetUtcNow().AddMinutes(15), events[0].GetProperty("detail").GetDateTimeOffset());
    }

    [Fact]
    public async Task AKeyServesOnlyItsBrandsAndAReadOnlyKeyLooksButChangesNothing()
    {
        var phone = TestDevice.NewMobile();
        var login = await _client.LoginAsync(phone);
        var customerId = Jwt.Payload(login.Token!).GetProperty("uid").GetString();
        var guarded = TestDevice.NewMobile(TestBrands.Guarded);
        await _client.LockOutAsync(guarded);
        var sessions = $"/admin/v1/brands/DEMO/customers/{customerId}/sessions";
        var guardedLock = $"/admin/v1/brands/GUARDED/identifiers/MOBILE/{guarded.IdentifierValue}/lock";

        var reader = await GetAsync("/admin/v1/key", DemoReaderKey);
        var everyBrand = await GetAsync("/admin/v1/key", SupportKey);
        var readerLists = await SendAsync(HttpMethod.Get, sessions, DemoReaderKey);
        var readerRevokes = await SendAsync(HttpMethod.Delete, sessions, DemoReaderKey);
        var readerRevokesOne = await SendAsync(HttpMethod.Delete, $"{sessions}/{Jwt.Payload(login.Token!).GetProperty("sid").GetString()}", DemoReaderKey);
        var readerLooksElsewhere = await SendAsync(HttpMethod.Get, $"/admin/v1/brands/GUARDED/identifiers/MOBILE/{guarded.IdentifierValue}/limits", DemoReaderKey);
        var otherBrandLists = await SendAsync(HttpMethod.Get, sessions, GuardedKey);
        var otherBrandRevokes = await SendAsync(HttpMethod.Delete, sessions, GuardedKey);
        var readerLifts = await SendAsync(HttpMethod.Delete, guardedLock, DemoReaderKey);
        var stillLocked = await GetAsync($"/admin/v1/brands/GUARDED/identifiers/MOBILE/{guarded.IdentifierValue}/limits", GuardedKey);
        var stillLive = await _client.PostAsync("token/regenerate", phone.Body(("key", login.Key)));

        Assert.Equal("demo-reader", reader.GetProperty("id").GetString());
        Assert.Equal(["DEMO"], reader.GetProperty("brands").EnumerateArray().Select(b => b.GetString()));
        Assert.True(reader.GetProperty("readOnly").GetBoolean());
        Assert.Equal(JsonValueKind.Null, everyBrand.GetProperty("brands").ValueKind);
        Assert.False(everyBrand.GetProperty("readOnly").GetBoolean());
        Assert.Equal(HttpStatusCode.OK, readerLists.StatusCode);
        foreach (var refused in new[] { readerRevokes, readerRevokesOne, readerLooksElsewhere, otherBrandLists, otherBrandRevokes, readerLifts })
        {
            Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);
            Assert.Equal("application/problem+json", refused.Content.Headers.ContentType?.MediaType);
        }
        Assert.Contains("may only read", await readerRevokes.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Contains("is not for brand GUARDED", await readerLooksElsewhere.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.True(stillLocked.GetProperty("locked").GetBoolean());
        Assert.True(stillLive.Success, stillLive.Body.GetRawText());
        Assert.Contains(_logs.Entries, e => e.EventId.Id == 3020 && e.Values.GetValueOrDefault("KeyId") == "demo-reader"
            && e.Values.GetValueOrDefault("Action") == "AdminRevokeAll" && e.Values.GetValueOrDefault("Status") == "403");
    }

    [Fact]
    public async Task AMissingOrWrongKeyIs401ProblemDetailsAndAnUnknownIdentifier404()
    {
        var none = await SendAsync(HttpMethod.Get, "/admin/v1/brands/DEMO/customers/x/sessions", key: null);
        var wrong = await SendAsync(HttpMethod.Get, "/admin/v1/brands/DEMO/customers/x/sessions", "sha256:" + new string('0', 64));
        var unknown = await SendAsync(HttpMethod.Get, $"/admin/v1/brands/DEMO/identifiers/MOBILE/{TestDevice.NewMobile().IdentifierValue}", SupportKey);
        var badType = await SendAsync(HttpMethod.Get, "/admin/v1/brands/DEMO/identifiers/FAX/123", SupportKey);

        Assert.Equal(HttpStatusCode.Unauthorized, none.StatusCode);
        Assert.Equal("application/problem+json", none.Content.Headers.ContentType?.MediaType);
        Assert.Equal(HttpStatusCode.Unauthorized, wrong.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
        Assert.Equal("application/problem+json", unknown.Content.Headers.ContentType?.MediaType);
        Assert.Equal(HttpStatusCode.BadRequest, badType.StatusCode);
    }

    [Fact]
    public async Task AnOperatorStartsAStoreSweepAndSeesWhatItRemoved()
    {
        // A guess at a number no one owns leaves an identifier and a device session behind, which outlive their grains.
        var guessed = TestDevice.NewMobile();
        var sessionId = await _client.StartLoginAsync(guessed);
        var otp = await _client.LatestOtpAsync(guessed);
        Assert.False((await _client.PostAsync("otp/validate", guessed.Body(("sessionId", sessionId), ("otp", otp[..^1] + (otp[^1] == '0' ? '1' : '0'))))).Success);
        await _api.Services.GetRequiredService<IGrainFactory>().GetGrain<IManagementGrain>(0).ForceActivationCollection(TimeSpan.Zero);
        _api.Clock.Advance(TimeSpan.FromMinutes(31));
        var before = await GetAsync("/admin/v1/store/sweep", OpsKey);

        using var started = await SendAsync(HttpMethod.Post, "/admin/v1/store/sweep", SupportKey);
        JsonElement after = default;
        await Eventually.HoldsAsync(async () => (after = await GetAsync("/admin/v1/store/sweep", OpsKey)).GetProperty("last").ValueKind == JsonValueKind.Object,
            TimeSpan.FromSeconds(30), "the sweep is done");

        Assert.Equal(JsonValueKind.Null, before.GetProperty("last").ValueKind);
        Assert.Equal(24, before.GetProperty("everyHours").GetDouble());
        Assert.Equal(HttpStatusCode.Accepted, started.StatusCode);
        Assert.Equal("no-store", started.Headers.CacheControl?.ToString());
        Assert.False(after.GetProperty("running").GetBoolean());
        Assert.Equal(2, after.GetProperty("last").GetProperty("removed").GetInt64());
        Assert.Equal(0, after.GetProperty("last").GetProperty("failed").GetInt64());
        Assert.Equal(0, after.GetProperty("last").GetProperty("eventsResumed").GetInt64());
        Assert.Contains(_logs.Entries, e => e.EventId.Id == 3020 && e.Values.GetValueOrDefault("Action") == "AdminStartStoreSweep" && e.Values.GetValueOrDefault("KeyId") == "support");
    }

    [Fact]
    public async Task OnlyAKeyForEveryBrandMayLookAtOrStartTheStoreSweep()
    {
        using var anonymous = await SendAsync(HttpMethod.Post, "/admin/v1/store/sweep", null);
        using var oneBrandStarts = await SendAsync(HttpMethod.Post, "/admin/v1/store/sweep", GuardedKey);
        using var oneBrandLooks = await SendAsync(HttpMethod.Get, "/admin/v1/store/sweep", DemoReaderKey);
        var afterwards = await GetAsync("/admin/v1/store/sweep", OpsKey);

        Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);
        Assert.Equal((HttpStatusCode.Forbidden, HttpStatusCode.Forbidden), (oneBrandStarts.StatusCode, oneBrandLooks.StatusCode));
        Assert.Equal("application/problem+json", oneBrandStarts.Content.Headers.ContentType?.MediaType);
        Assert.False(afterwards.GetProperty("running").GetBoolean());
        Assert.Equal(JsonValueKind.Null, afterwards.GetProperty("last").ValueKind);
    }

    [Fact]
    public async Task WithoutAConfiguredKeyNoAdminRouteExists()
    {
        await using var plain = new ApiFactory();
        using var request = new HttpRequestMessage(HttpMethod.Get, "/admin/v1/brands/DEMO/customers/x/sessions");
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", SupportKey);

        var response = await plain.CreateClient().SendAsync(request);

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
    }

    private async Task<JsonElement> GetAsync(string path, string key)
    {
        using var response = await SendAsync(HttpMethod.Get, path, key);
        return await response.OkJsonAsync();
    }

    private Task<HttpResponseMessage> SendAsync(HttpMethod method, string path, string? key) => _client.SendAdminAsync(method, path, key);
}
