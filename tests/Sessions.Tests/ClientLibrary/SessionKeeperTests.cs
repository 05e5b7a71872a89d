using System.Net;
using System.Text.Json;
using Sessions.Client;
using Sessions.Client.Storage;
using Sessions.Tests.Infrastructure;

namespace Sessions.Tests.ClientLibrary;

/// <summary>
/// The session keeper of <c>Sessions.Client</c> against the real API: one regenerate for any number of callers, the
/// rotated key stored before it is used, a lost answer retried only within the grace, and the reason a session ended.
/// </summary>
[Collection(ClientCollection.Name)]
public sealed class SessionKeeperTests(ClientFixture fixture)
{
    private static readonly TimeSpan AlmostExpired = TimeSpan.FromMinutes(14.5);

    [Fact]
    public async Task ThreeCallsLogACustomerInAndTheKeeperHandsOutTheirUserToken()
    {
        var store = new InMemorySessionStore();
        await using var app = fixture.NewApp(store);
        var (identity, device) = ClientFixture.NewCustomer();
        using var regenerations = new HostCounter(fixture.Factory.Services, "sessions.regenerations");

        var login = await app.StartLoginAsync(identity);
        var signIn = await login.VerifyOtpAsync(await fixture.Api.LatestOtpAsync(device));
        var token = await signIn.Session!.GetTokenAsync();

        Assert.Equal("USER", Jwt.Payload(token).GetProperty("rol").GetString());
        Assert.Equal(device.DeviceId, Jwt.Header(token).GetProperty("dev").GetString());
        Assert.Equal(token, await signIn.Session.GetTokenAsync());
        Assert.Equal(0, regenerations.Total);
        var stored = (await ClientFixture.StoredAsync(store))!.Value;
        Assert.Equal("Primary", stored.GetProperty("flow").GetString());
        Assert.True(await app.HasSessionAsync());
    }

    [Fact]
    public async Task AHundredConcurrentCallersCauseExactlyOneRegenerateAndACancellingCallerDoesNotStopIt()
    {
        await using var customer = await fixture.LogInNewCustomerAsync();
        var (app, store, device, session) = customer;
        var first = await session.GetTokenAsync();
        fixture.Factory.Clock.Advance(AlmostExpired);
        using var regenerations = new HostCounter(fixture.Factory.Services, "sessions.regenerations");

        // The first caller starts the regenerate and gives up at once; the regenerate is everyone's and goes on.
        using var impatient = new CancellationTokenSource();
        impatient.Cancel();
        var givesUp = session.GetTokenAsync(impatient.Token).AsTask();
        var tokens = await Task.WhenAll(Enumerable.Range(0, 100).Select(_ => Task.Run(async () => await session.GetTokenAsync())));

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => givesUp);
        Assert.Single(tokens.Distinct());
        Assert.NotEqual(first, tokens[0]);
        Assert.Equal(1, regenerations.Total);
        // The successor key in the store is the family's current one: the next rotation works.
        fixture.Factory.Clock.Advance(AlmostExpired);
        Assert.NotEqual(tokens[0], await session.GetTokenAsync());
        Assert.Equal(2, regenerations.Total);
    }

    [Fact]
    public async Task AnAnswerLostAfterTheServiceRotatedIsRetriedWithTheSameKeyAndTheSessionContinuesWithTheSameSuccessor()
    {
        var network = new FaultyNetwork(fixture.Factory.Clock);
        await using var customer = await fixture.LogInNewCustomerAsync(faults: network);
        var (app, store, device, session) = customer;
        var firstKey = await customer.StoredKeyAsync();
        fixture.Factory.Clock.Advance(AlmostExpired);

        network.AnswersToLose = 1;
        var token = await session.GetTokenAsync();

        var stored = (await ClientFixture.StoredAsync(store))!.Value;
        Assert.Equal(ApiAnswers.Key(Assert.Single(network.LostAnswers)), stored.GetProperty("key").GetString());
        Assert.Equal(JsonValueKind.Null, stored.TryGetProperty("pending", out var pending) ? pending.ValueKind : JsonValueKind.Null);
        Assert.Equal(2, network.Sent.Count);
        Assert.All(network.Sent, sent => Assert.Contains(firstKey!, sent.Body, StringComparison.Ordinal));
        Assert.Equal("USER", Jwt.Payload(token).GetProperty("rol").GetString());
        fixture.Factory.Clock.Advance(AlmostExpired);
        Assert.NotEqual(token, await session.GetTokenAsync());
    }

    [Fact]
    public async Task AnswersLostForLongerThanTheGraceEndTheSessionAsRotationLostAndTheKeyIsNeverPresentedLate()
    {
        var network = new FaultyNetwork(fixture.Factory.Clock);
        await using var customer = await fixture.LogInNewCustomerAsync(faults: network);
        var (app, store, device, session) = customer;
        SessionEndedReason? told = null;
        session.SessionEnded += (_, e) => told = e.Reason;
        fixture.Factory.Clock.Advance(AlmostExpired);

        network.AnswersToLose = int.MaxValue;
        var ended = await Assert.ThrowsAsync<SessionEndedException>(() => fixture.WhileTheClockRunsAsync(session.GetTokenAsync().AsTask()));

        Assert.Equal(SessionEndedReason.RotationLost, ended.Reason);
        Assert.Equal(SessionEndedReason.RotationLost, told);
        Assert.Null(await ClientFixture.StoredAsync(store));
        var firstSent = network.Sent[0].At;
        Assert.True(network.Sent.Count >= 3, $"retried {network.Sent.Count - 1} times");
        Assert.All(network.Sent, sent => Assert.True(sent.At - firstSent < TimeSpan.FromSeconds(30) - TimeSpan.FromSeconds(8),
            $"presented {(sent.At - firstSent).TotalSeconds} s after the first send"));
        await Assert.ThrowsAsync<SessionEndedException>(() => session.GetTokenAsync().AsTask());
    }

    [Fact]
    public async Task AnUploadTheServiceCutOffAsTooSlowIsRetriedWithTheSameKeyAndTheSessionGoesOn()
    {
        var network = new FaultyNetwork(fixture.Factory.Clock);
        await using var customer = await fixture.LogInNewCustomerAsync(faults: network);
        var firstKey = await customer.StoredKeyAsync();
        fixture.Factory.Clock.Advance(AlmostExpired);

        network.UploadsToStall = 1;
        var token = await fixture.WhileTheClockRunsAsync(customer.Session.GetTokenAsync().AsTask());

        Assert.Equal(2, network.Sent.Count);
        Assert.All(network.Sent, sent => Assert.Contains(firstKey!, sent.Body, StringComparison.Ordinal));
        Assert.Equal("USER", Jwt.Payload(token).GetProperty("rol").GetString());
        Assert.NotEqual(firstKey, await customer.StoredKeyAsync());
    }

    [Fact]
    public async Task ADeviceOfflinePastTheGraceKeepsItsSessionAndRefreshesWhenBackOnline()
    {
        var network = new FaultyNetwork(fixture.Factory.Clock);
        await using var customer = await fixture.LogInNewCustomerAsync(faults: network);
        var (app, store, device, session) = customer;
        var key = await customer.StoredKeyAsync();
        fixture.Factory.Clock.Advance(AlmostExpired);

        network.Offline = true;
        await Assert.ThrowsAsync<SessionsUnavailableException>(() => fixture.WhileTheClockRunsAsync(session.GetTokenAsync().AsTask()));
        fixture.Factory.Clock.Advance(TimeSpan.FromMinutes(1));
        var stored = (await ClientFixture.StoredAsync(store))!.Value;
        Assert.Equal(key, stored.GetProperty("key").GetString());
        Assert.False(stored.TryGetProperty("pending", out _));

        network.Offline = false;
        var token = await session.GetTokenAsync();
        Assert.Equal("USER", Jwt.Payload(token).GetProperty("rol").GetString());
        Assert.NotEqual(key, await customer.StoredKeyAsync());
    }

    [Fact]
    public async Task AThiefReplayingAnOldKeyEndsTheAppsSessionAsRevoked()
    {
        await using var customer = await fixture.LogInNewCustomerAsync();
        var (app, store, device, session) = customer;
        SessionEndedReason? told = null;
        session.SessionEnded += (_, e) => told = e.Reason;
        var stolen = await customer.StoredKeyAsync();
        fixture.Factory.Clock.Advance(AlmostExpired);
        await session.GetTokenAsync();
        fixture.Factory.Clock.Advance(TimeSpan.FromSeconds(31));

        var thief = await fixture.Api.PostAsync("token/regenerate", device.Body(("key", stolen)));
        Assert.Equal(1525, thief.Code);
        fixture.Factory.Clock.Advance(AlmostExpired);
        var ended = await Assert.ThrowsAsync<SessionEndedException>(() => session.GetTokenAsync().AsTask());

        Assert.Equal(SessionEndedReason.Revoked, ended.Reason);
        Assert.Equal(SessionEndedReason.Revoked, told);
        Assert.Null(await ClientFixture.StoredAsync(store));
        Assert.False(await app.HasSessionAsync());
    }

    [Fact]
    public async Task ALogoutOfASessionThatEndsOnItsWayIsToldOnceWithTheReasonItEnded()
    {
        await using var customer = await fixture.LogInNewCustomerAsync();
        var (_, store, device, session) = customer;
        var told = new List<SessionEndedReason>();
        session.SessionEnded += (_, e) => told.Add(e.Reason);
        var stolen = await customer.StoredKeyAsync();
        fixture.Factory.Clock.Advance(AlmostExpired);
        await session.GetTokenAsync();
        fixture.Factory.Clock.Advance(TimeSpan.FromSeconds(31));
        Assert.Equal(1525, (await fixture.Api.PostAsync("token/regenerate", device.Body(("key", stolen)))).Code);
        fixture.Factory.Clock.Advance(AlmostExpired);

        // The logout needs a fresh token first; its regenerate learns the family was revoked.
        Assert.False(await session.LogOutAsync());

        Assert.Equal([SessionEndedReason.Revoked], told);
        Assert.Null(await ClientFixture.StoredAsync(store));
    }

    [Fact]
    public async Task TokenRefreshedTellsTheAppOnceANewTokenIsStoredAndAHandlerMayAskForItOrThrow()
    {
        await using var customer = await fixture.LogInNewCustomerAsync();
        var session = customer.Session;
        var first = await session.GetTokenAsync();
        var told = new TaskCompletionSource<(DateTimeOffset ExpiresAt, string Token)>(TaskCreationOptions.RunContinuationsAsynchronously);
        var times = 0;
        session.TokenRefreshed += (_, e) =>
        {
            Interlocked.Increment(ref times);
            told.TrySetResult((e.ExpiresAt, session.GetTokenAsync().AsTask().Result));
        };
        fixture.Factory.Clock.Advance(AlmostExpired);

        var second = await session.GetTokenAsync();
        var (expiresAt, tokenInHandler) = await told.Task.WaitAsync(TimeSpan.FromSeconds(30));
        await Task.Delay(100);

        Assert.NotEqual(first, second);
        Assert.Equal(second, tokenInHandler);
        Assert.Equal(Jwt.Payload(second).GetProperty("exp").GetInt64(), expiresAt.ToUnixTimeSeconds());
        Assert.Equal(1, Volatile.Read(ref times));
        Assert.Equal(second, await session.GetTokenAsync());

        // A handler that throws is the app's bug: the keeper logs it and goes on.
        session.TokenRefreshed += (_, _) => throw new InvalidOperationException("a bug in the app's handler");
        fixture.Factory.Clock.Advance(AlmostExpired);
        var third = await session.GetTokenAsync();
        await fixture.WhileTheClockRunsAsync(() => Volatile.Read(ref times) == 2);
        Assert.NotEqual(second, third);
        Assert.Equal(third, await session.GetTokenAsync());
    }

    [Fact]
    public async Task AWebSessionRegeneratesWithItsLastTokenAsTheCredential()
    {
        var store = new InMemorySessionStore();
        await using var app = fixture.NewApp(store);
        var browser = TestDevice.NewBrowser();
        var login = await app.StartWebLoginAsync(new DeviceIdentity(IdentifierType.Mobile, browser.IdentifierValue, null));
        var session = (await login.VerifyOtpAsync(await fixture.Api.LatestOtpAsync(browser))).Session!;
        var first = await session.GetTokenAsync();
        Assert.Equal(JsonValueKind.Null, Jwt.Header(first).GetProperty("dev").ValueKind);
        fixture.Factory.Clock.Advance(AlmostExpired);

        var second = await session.GetTokenAsync();

        Assert.NotEqual(first, second);
        var stored = (await ClientFixture.StoredAsync(store))!.Value;
        Assert.Equal("Web", stored.GetProperty("flow").GetString());
        Assert.Equal(second, stored.GetProperty("key").GetString());
        // The replaced token is now an old credential: presented after the grace it revokes the family.
        fixture.Factory.Clock.Advance(TimeSpan.FromSeconds(31));
        Assert.Equal(1525, (await fixture.Api.PostAsync("web/token/regenerate", browser.Body(("expiredToken", first)))).Code);
    }

    [Fact]
    public async Task AnMfaLoginKeepsTheMfaFamilyAndLogOutRevokesItAtTheService()
    {
        var store = new InMemorySessionStore();
        await using var app = fixture.NewApp(store);
        var (identity, device) = ClientFixture.NewCustomer();
        var firstFactor = await (await app.StartLoginAsync(identity)).VerifyOtpAsync(await fixture.Api.LatestOtpAsync(device));
        var mfa = await firstFactor.StartMfaAsync();
        var session = (await mfa.VerifyOtpAsync(await fixture.Api.LatestOtpAsync(device))).Session!;
        var mfaKey = (await ClientFixture.StoredAsync(store))!.Value.GetProperty("key").GetString();
        Assert.True(Jwt.Payload(mfaKey!).GetProperty("mfa").GetBoolean());
        SessionEndedReason? told = null;
        session.SessionEnded += (_, e) => told = e.Reason;

        Assert.True(await session.LogOutAsync());

        Assert.Equal(SessionEndedReason.LoggedOut, told);
        Assert.Null(await ClientFixture.StoredAsync(store));
        Assert.Equal(1597, (await fixture.Api.PostAsync("mfa/token/regenerate", device.Body(("key", mfaKey)))).Code);
        Assert.Equal(SessionEndedReason.LoggedOut, (await Assert.ThrowsAsync<SessionEndedException>(() => session.GetTokenAsync().AsTask())).Reason);
    }

    [Fact]
    public async Task LogOutRevokesAPrimaryFamilyAtTheServiceToo()
    {
        await using var customer = await fixture.LogInNewCustomerAsync();
        var key = await customer.StoredKeyAsync();
        SessionEndedReason? told = null;
        customer.Session.SessionEnded += (_, e) => told = e.Reason;

        Assert.True(await customer.Session.LogOutAsync());

        Assert.Equal(SessionEndedReason.LoggedOut, told);
        Assert.Null(await ClientFixture.StoredAsync(customer.Store));
        Assert.Equal(1597, (await fixture.Api.PostAsync("token/regenerate", customer.Device.Body(("key", key)))).Code);
    }

    [Fact]
    public async Task AWrongCodeIsAnApiExceptionWithTheEnvelopesCodeAndStoresNothing()
    {
        var store = new InMemorySessionStore();
        await using var app = fixture.NewApp(store);
        var (identity, device) = ClientFixture.NewCustomer();
        var login = await app.StartLoginAsync(identity);
        var wrong = Infrastructure.SessionsClient.WrongOtp(await fixture.Api.LatestOtpAsync(device));

        var refused = await Assert.ThrowsAsync<SessionsApiException>(() => login.VerifyOtpAsync(wrong));

        Assert.Equal(1506, refused.Code);
        Assert.Equal(HttpStatusCode.Unauthorized, refused.Status);
        Assert.False(await app.HasSessionAsync());
        // The right code still works: a refused call changed nothing.
        Assert.NotNull((await login.VerifyOtpAsync(await fixture.Api.LatestOtpAsync(device))).Session);
    }

    [Fact]
    public async Task APasswordLoginAndAPasswordChangeLeaveThisSessionRunningAndAResetEndsIt()
    {
        var store = new InMemorySessionStore();
        await using var app = fixture.NewApp(store);
        var (identity, device) = ClientFixture.NewCustomer();
        var signUp = await app.StartLoginAsync(identity, newPassword: "Correct-Horse-1");
        await signUp.VerifyOtpAsync(await fixture.Api.LatestOtpAsync(device));

        var login = await app.StartLoginAsync(identity, sendOtp: false);
        Assert.True(login.HasPassword);
        Assert.Equal(1528, (await Assert.ThrowsAsync<SessionsApiException>(() => login.VerifyPasswordAsync("wrong-password-9"))).Code);
        var session = (await login.VerifyPasswordAsync("Correct-Horse-1")).Session!;
        await session.ChangePasswordAsync("Correct-Horse-1", "Battery-Staple-2");
        Assert.Equal("USER", Jwt.Payload(await session.GetTokenAsync()).GetProperty("rol").GetString());

        var forgot = await app.StartLoginAsync(identity);
        await forgot.ResetPasswordAsync(await fixture.Api.LatestOtpAsync(device), "Tr0ub4dor-3");
        fixture.Factory.Clock.Advance(AlmostExpired);
        Assert.Equal(SessionEndedReason.KeyInvalid, (await Assert.ThrowsAsync<SessionEndedException>(() => session.GetTokenAsync().AsTask())).Reason);
        Assert.NotNull((await (await app.StartLoginAsync(identity, sendOtp: false)).VerifyPasswordAsync("Tr0ub4dor-3")).Session);
    }

    [Fact]
    public async Task AnIdentifierChangeSendsACodeToTheNewValueThenEndsTheSessionWithItsReason()
    {
        await using var customer = await fixture.LogInNewCustomerAsync();
        var (app, store, device, session) = customer;
        SessionEndedReason? told = null;
        session.SessionEnded += (_, e) => told = e.Reason;
        var moved = TestDevice.NewMobile() with { DeviceId = device.DeviceId };

        Assert.Equal(IdentifierChange.CodeSent, await session.ChangeIdentifierAsync(moved.IdentifierValue));
        Assert.Equal(IdentifierChange.Changed, await session.ChangeIdentifierAsync(moved.IdentifierValue, await fixture.Api.LatestOtpAsync(moved)));

        Assert.Equal(SessionEndedReason.IdentifierChanged, told);
        Assert.Null(await ClientFixture.StoredAsync(store));
        Assert.NotNull(await fixture.LogInAsync(app, moved, DeviceIdentity.Mobile(moved.IdentifierValue, moved.DeviceId)));
    }

    [Fact]
    public async Task AnIdentifierChangeFromAnOldLoginAsksForAFreshOneWhereTheBrandRequiresIt()
    {
        await using var customer = await fixture.LogInNewCustomerAsync(TestBrands.Guarded);
        var (_, _, device, session) = customer;
        var moved = TestDevice.NewMobile(TestBrands.Guarded) with { DeviceId = device.DeviceId };
        fixture.Factory.Clock.Advance(TimeSpan.FromMinutes(6));

        var stale = await Assert.ThrowsAsync<RecentLoginRequiredException>(() => session.ChangeIdentifierAsync(moved.IdentifierValue));

        Assert.Equal((1564, HttpStatusCode.Unauthorized), (stale.Code, stale.Status));
        Assert.Null(await fixture.Api.LatestOtpOrNullAsync(moved));
    }

    [Fact]
    public async Task ASignedInDevicesScreenListsTheDevicesSignsTheOthersOutAndAsksForAFreshLoginWhenItIsOld()
    {
        await using var customer = await fixture.LogInNewCustomerAsync();
        var (app, _, device, session) = customer;
        var tablet = await fixture.Api.LoginAsync(device.OnDevice("tablet"));
        var identity = DeviceIdentity.Mobile(device.IdentifierValue, device.DeviceId);

        var devices = await session.ListSignedInDevicesAsync();
        fixture.Factory.Clock.Advance(TimeSpan.FromMinutes(6));
        var stale = await Assert.ThrowsAsync<RecentLoginRequiredException>(() => session.SignOutOtherDevicesAsync());
        var again = await fixture.LogInAsync(app, device, identity);
        var signedOut = await again.SignOutOtherDevicesAsync();

        Assert.Equal(new[] { device.DeviceId, "tablet" }.Order(), devices.Select(d => d.DeviceId).Order());
        Assert.Equal(device.DeviceId, Assert.Single(devices, d => d.Families.Any(f => f.Current)).DeviceId);
        Assert.Equal((1564, HttpStatusCode.Unauthorized), (stale.Code, stale.Status));
        Assert.Equal(1, signedOut);
        Assert.Equal(1597, (await fixture.Api.PostAsync("token/regenerate", device.OnDevice("tablet").Body(("key", tablet.Key)))).Code);
        Assert.Equal([device.DeviceId], (await again.ListSignedInDevicesAsync()).Select(d => d.DeviceId));
    }

    [Fact]
    public async Task SigningThisDevicesOwnSessionOutFromTheListIsALogout()
    {
        await using var customer = await fixture.LogInNewCustomerAsync();
        var session = customer.Session;
        SessionEndedReason? told = null;
        session.SessionEnded += (_, e) => told = e.Reason;
        var own = (await session.ListSignedInDevicesAsync()).SelectMany(d => d.Families).Single(f => f.Current);

        await session.SignOutAsync(own);

        Assert.Equal(SessionEndedReason.LoggedOut, told);
        Assert.Null(await ClientFixture.StoredAsync(customer.Store));
    }

    [Fact]
    public async Task AnAccountCallOfASessionSignedOutFromAnotherDeviceEndsItWithItsReason()
    {
        await using var customer = await fixture.LogInNewCustomerAsync();
        var (_, store, device, session) = customer;
        SessionEndedReason? told = null;
        session.SessionEnded += (_, e) => told = e.Reason;
        await session.GetTokenAsync();
        var tablet = device.OnDevice("tablet");
        var tabletLogin = await fixture.Api.LoginAsync(tablet);
        await Infrastructure.SessionsClient.Ok(fixture.Api.PostAsync("user/sessions/revokeOthers", tablet.Body(("token", tabletLogin.Token))));

        var ended = await Assert.ThrowsAsync<SessionEndedException>(() => session.ListSignedInDevicesAsync());

        Assert.Equal(SessionEndedReason.KeyInvalid, ended.Reason);
        Assert.Equal(SessionEndedReason.KeyInvalid, told);
        Assert.Null(await ClientFixture.StoredAsync(store));
        Assert.Equal(SessionEndedReason.KeyInvalid, (await Assert.ThrowsAsync<SessionEndedException>(() => session.GetTokenAsync().AsTask())).Reason);
    }

    [Fact]
    public async Task AnAccountCallOfAReplacedLoginLeavesTheNewerLoginInTheStore()
    {
        await using var customer = await fixture.LogInNewCustomerAsync();
        var (app, store, device, _) = customer;
        // A second process of the app shares the store: its keeper loads the session and holds its token.
        await using var otherProcess = fixture.NewApp(store);
        var stale = otherProcess.GetSession();
        await stale.GetTokenAsync();
        // A new login on the same device replaces the old family.
        var again = await fixture.LogInAsync(app, device, DeviceIdentity.Mobile(device.IdentifierValue, device.DeviceId));
        var newer = await again.GetTokenAsync();

        var refused = await Assert.ThrowsAsync<SessionsApiException>(() => stale.ListSignedInDevicesAsync());

        Assert.Equal(1596, refused.Code);
        Assert.Equal(newer, (await ClientFixture.StoredAsync(store))!.Value.GetProperty("token").GetString());
        Assert.NotEmpty(await again.ListSignedInDevicesAsync());
    }

    [Theory]
    [InlineData("https://auth.example.com", "https://auth.example.com/auth/v1/mfa/token/regenerate")]
    [InlineData("https://example.com/sessions", "https://example.com/sessions/auth/v1/mfa/token/regenerate")]
    [InlineData("https://example.com/sessions/", "https://example.com/sessions/auth/v1/mfa/token/regenerate")]
    public void TheServiceIsCalledUnderItsBaseAddressWithOrWithoutATrailingSlash(string baseAddress, string expected) =>
        Assert.Equal(expected, new SessionsClientOptions { BaseAddress = new Uri(baseAddress), Brand = "DEMO" }.Endpoint("mfa/token/regenerate").AbsoluteUri);
}
