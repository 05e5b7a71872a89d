using System.Net;
using Sessions.Tests.Infrastructure;

namespace Sessions.Tests.Api;

/// <summary>
/// Device-bound keys as an app that has a device key sees them (API.md §4.7): a proof at the validate binds the family;
/// its keys and tokens say so (<c>cnf.jkt</c>), introspection answers <c>DPoP</c>; it regenerates with a fresh proof
/// by that key, within the grace too; a clock an hour off costs one round trip; an app that updates binds its family
/// without a new login; browsers and MFA families bind the same way; a brand with binding off ignores it all.
/// </summary>
[Collection(ApiCollection.Name)]
public sealed class DeviceBindingTests(ApiFixture fixture)
{
    private SessionsClient Client => fixture.Client;

    private DeviceKey NewDeviceKey() => new(fixture.Factory.Clock);

    [Fact]
    public async Task AProofAtTheValidateBindsTheFamilyAndItsKeyAndTokenCarryTheThumbprint()
    {
        using var deviceKey = NewDeviceKey();
        var phone = TestDevice.NewMobile(TestBrands.Bound);

        var login = await Client.LoginAsync(phone, deviceKey);

        Assert.Equal(deviceKey.Thumbprint, Jwt.Payload(login.Token!).GetProperty("cnf").GetProperty("jkt").GetString());
        Assert.Equal(deviceKey.Thumbprint, Jwt.Payload(login.Key!).GetProperty("cnf").GetProperty("jkt").GetString());
        Assert.NotNull(login.DeviceNonce);
        var introspected = await Client.IntrospectAsync(login.Token!, TestBrands.Bound);
        Assert.True(introspected.GetProperty("active").GetBoolean());
        Assert.Equal("DPoP", introspected.GetProperty("token_type").GetString());
        Assert.Equal(deviceKey.Thumbprint, introspected.GetProperty("cnf").GetProperty("jkt").GetString());
    }

    [Fact]
    public async Task ProofsMadeByAJwtLibraryAsTheReadmeToolMakesThemBindAndRegenerate()
    {
        using var key = System.Security.Cryptography.ECDsa.Create(System.Security.Cryptography.ECCurve.NamedCurves.nistP256);
        var maker = new Sessions.Samples.DeviceProof.DeviceProofMaker(key);
        var phone = TestDevice.NewMobile(TestBrands.Bound);
        string Proof(Uri url, string? nonce = null) => maker.Create("POST", url.ToString(), fixture.Factory.Clock.GetUtcNow(), nonce);

        var login = await Client.LoginAsync(phone, url => Proof(url));
        var next = await SessionsClient.Ok(Client.PostWithProofAsync("token/regenerate", phone.Body(("key", login.Key)), Proof(Client.Url("token/regenerate"), login.DeviceNonce)));

        Assert.Equal(maker.Thumbprint, Jwt.Payload(next.Key!).GetProperty("cnf").GetProperty("jkt").GetString());
    }

    [Fact]
    public async Task ABoundKeyRegeneratesWithAFreshProofAndItsSuccessorStaysBound()
    {
        using var deviceKey = NewDeviceKey();
        var phone = TestDevice.NewMobile(TestBrands.Bound);
        var login = await Client.LoginAsync(phone, deviceKey);

        var first = await SessionsClient.Ok(Client.PostWithProofAsync("token/regenerate", phone.Body(("key", login.Key)), deviceKey));
        var second = await SessionsClient.Ok(Client.PostWithProofAsync("token/regenerate", phone.Body(("key", first.Key)), deviceKey, first.DeviceNonce));

        Assert.NotEqual(login.Key, first.Key);
        Assert.NotEqual(first.Key, second.Key);
        Assert.Equal(deviceKey.Thumbprint, Jwt.Payload(second.Key!).GetProperty("cnf").GetProperty("jkt").GetString());
        Assert.Equal(deviceKey.Thumbprint, Jwt.Payload(second.Token!).GetProperty("cnf").GetProperty("jkt").GetString());
        Assert.NotNull(first.DeviceNonce);
        Assert.NotNull(second.DeviceNonce);
    }

    [Fact]
    public async Task ARetryWithinTheGraceWithAFreshProofGetsTheByteIdenticalSuccessorOnAnEs256Brand()
    {
        using var deviceKey = NewDeviceKey();
        var phone = TestDevice.NewMobile(TestBrands.Bound);
        var login = await Client.LoginAsync(phone, deviceKey);
        Assert.Equal("ES256", Jwt.Header(login.Token!).GetProperty("alg").GetString());

        var first = await SessionsClient.Ok(Client.PostWithProofAsync("token/regenerate", phone.Body(("key", login.Key)), deviceKey));
        var retry = await SessionsClient.Ok(Client.PostWithProofAsync("token/regenerate", phone.Body(("key", login.Key)), deviceKey));

        Assert.Equal(first.Key, retry.Key);
    }

    [Fact]
    public async Task AnEs256BrandWithoutBindingAlsoRetriesToTheByteIdenticalSuccessor()
    {
        var phone = TestDevice.NewMobile(TestBrands.Signed);
        var login = await Client.LoginAsync(phone);

        var first = await SessionsClient.Ok(Client.PostAsync("token/regenerate", phone.Body(("key", login.Key))));
        var retry = await SessionsClient.Ok(Client.PostAsync("token/regenerate", phone.Body(("key", login.Key))));

        Assert.Equal(first.Key, retry.Key);
        Assert.NotEqual(login.Key, first.Key);
        // Keys are HMAC-signed under a secret derived from the ES256 key: they verify here, and nowhere else.
        Assert.Equal("HS256", Jwt.Header(first.Key!).GetProperty("alg").GetString());
        Assert.Equal("ES256", Jwt.Header(first.Token!).GetProperty("alg").GetString());
    }

    [Fact]
    public async Task APhoneWhoseClockIsAnHourOffRegeneratesWithOneExtraRoundTrip()
    {
        using var deviceKey = NewDeviceKey();
        var phone = TestDevice.NewMobile(TestBrands.Bound);
        var login = await Client.LoginAsync(phone, deviceKey);
        var phoneClock = fixture.Factory.Clock.GetUtcNow().AddHours(-1);
        var body = phone.Body(("key", login.Key));

        var stale = await Client.PostWithProofAsync("token/regenerate", body, deviceKey.Proof(Client.Url("token/regenerate"), issuedAt: phoneClock));
        var retried = await Client.PostWithProofAsync("token/regenerate", body, deviceKey.Proof(Client.Url("token/regenerate"), stale.DeviceNonce, issuedAt: phoneClock));

        Assert.Equal((HttpStatusCode.BadRequest, 1563), (stale.Status, stale.Code));
        Assert.NotNull(stale.DeviceNonce);
        Assert.Equal(HttpStatusCode.OK, retried.Status);
        Assert.NotEqual(login.Key, retried.Key);
    }

    [Fact]
    public async Task AnUnboundFamilyIsBoundByItsFirstProofAndNeverUnboundAgain()
    {
        using var deviceKey = NewDeviceKey();
        using var otherKey = NewDeviceKey();
        var phone = TestDevice.NewMobile(TestBrands.Bound);
        // The old app version: no device key, a bearer family that regenerates without proofs.
        var login = await Client.LoginAsync(phone);
        Assert.False(Jwt.Payload(login.Key!).TryGetProperty("cnf", out _));
        var bearer = await SessionsClient.Ok(Client.PostAsync("token/regenerate", phone.Body(("key", login.Key))));

        // The app updates: its first proof binds the family, without a new login.
        var upgraded = await SessionsClient.Ok(Client.PostWithProofAsync("token/regenerate", phone.Body(("key", bearer.Key)), deviceKey));
        var withoutProof = await Client.PostAsync("token/regenerate", phone.Body(("key", upgraded.Key)));
        var byOtherKey = await Client.PostWithProofAsync("token/regenerate", phone.Body(("key", upgraded.Key)), otherKey);
        var byItsKey = await SessionsClient.Ok(Client.PostWithProofAsync("token/regenerate", phone.Body(("key", upgraded.Key)), deviceKey));

        Assert.Equal(deviceKey.Thumbprint, Jwt.Payload(upgraded.Key!).GetProperty("cnf").GetProperty("jkt").GetString());
        Assert.Equal((HttpStatusCode.Unauthorized, 1562), (withoutProof.Status, withoutProof.Code));
        Assert.Equal((HttpStatusCode.Unauthorized, 1561), (byOtherKey.Status, byOtherKey.Code));
        Assert.NotEqual(upgraded.Key, byItsKey.Key);
    }

    [Fact]
    public async Task AnOptionalBrandKeepsAFamilyWithoutProofsBearer()
    {
        var phone = TestDevice.NewMobile(TestBrands.Bound);
        var login = await Client.LoginAsync(phone);

        var next = await SessionsClient.Ok(Client.PostAsync("token/regenerate", phone.Body(("key", login.Key))));

        Assert.False(Jwt.Payload(next.Key!).TryGetProperty("cnf", out _));
        Assert.Equal("access_token", (await Client.IntrospectAsync(next.Token!, TestBrands.Bound)).GetProperty("token_type").GetString());
        // The answer still hands out a nonce, so an updated app's first proof never depends on the phone's clock.
        Assert.NotNull(next.DeviceNonce);
    }

    [Fact]
    public async Task AnMfaFamilyIsBoundAtTheSecondFactorAndRegeneratesOnlyWithItsDeviceKey()
    {
        using var deviceKey = NewDeviceKey();
        var phone = TestDevice.NewMobile(TestBrands.Bound);
        var email = TestDevice.NewEmail(TestBrands.Bound, phone.DeviceId);
        var first = await Client.LoginAsync(phone, deviceKey);
        var opened = await SessionsClient.Ok(Client.PostAsync("mfa/token/generate", email.Body(("authorizedToken", first.Token))));
        await SessionsClient.Ok(Client.PostAsync("mfa/otp/generate", email.Body(("sessionId", opened.SessionId))));
        var mfa = await SessionsClient.Ok(Client.PostWithProofAsync("mfa/otp/validate",
            email.Body(("sessionId", opened.SessionId), ("otp", await Client.LatestOtpAsync(email))), deviceKey));

        var withoutProof = await Client.PostAsync("mfa/token/regenerate", email.Body(("key", mfa.Key)));
        var next = await SessionsClient.Ok(Client.PostWithProofAsync("mfa/token/regenerate", email.Body(("key", mfa.Key)), deviceKey));

        Assert.Equal(deviceKey.Thumbprint, Jwt.Payload(mfa.Key!).GetProperty("cnf").GetProperty("jkt").GetString());
        Assert.Equal(1562, withoutProof.Code);
        Assert.Equal("USER", Jwt.Payload(next.Token!).GetProperty("rol").GetString());
    }

    [Fact]
    public async Task ABrowsersWebFamilyIsBoundByItsWebCryptoKey()
    {
        using var browserKey = NewDeviceKey();
        using var otherKey = NewDeviceKey();
        var browser = TestDevice.NewBrowser(TestBrands.Bound);
        var sessionId = await Client.StartWebLoginAsync(browser);
        var login = await SessionsClient.Ok(Client.PostWithProofAsync("web/otp/validate",
            browser.Body(("sessionId", sessionId), ("otp", await Client.LatestOtpAsync(browser))), browserKey));

        var withoutProof = await Client.PostAsync("web/token/regenerate", browser.Body(("expiredToken", login.Token)));
        var byOtherKey = await Client.PostWithProofAsync("web/token/regenerate", browser.Body(("expiredToken", login.Token)), otherKey);
        var next = await SessionsClient.Ok(Client.PostWithProofAsync("web/token/regenerate", browser.Body(("expiredToken", login.Token)), browserKey));
        var retry = await SessionsClient.Ok(Client.PostWithProofAsync("web/token/regenerate", browser.Body(("expiredToken", login.Token)), browserKey));

        Assert.Equal(browserKey.Thumbprint, Jwt.Payload(login.Token!).GetProperty("cnf").GetProperty("jkt").GetString());
        Assert.Equal((HttpStatusCode.Unauthorized, 1562), (withoutProof.Status, withoutProof.Code));
        Assert.Equal((HttpStatusCode.Unauthorized, 1561), (byOtherKey.Status, byOtherKey.Code));
        Assert.Equal(browserKey.Thumbprint, Jwt.Payload(next.Token!).GetProperty("cnf").GetProperty("jkt").GetString());
        Assert.Equal(Jwt.Payload(next.Token!).GetProperty("jti").GetString(), Jwt.Payload(retry.Token!).GetProperty("jti").GetString());
    }

    [Fact]
    public async Task ABrandWithBindingOffIgnoresTheProofHeaderEntirely()
    {
        using var deviceKey = NewDeviceKey();
        var phone = TestDevice.NewMobile(TestBrands.Demo);
        var sessionId = await Client.StartLoginAsync(phone);

        var login = await SessionsClient.Ok(Client.PostWithProofAsync("otp/validate",
            phone.Body(("sessionId", sessionId), ("otp", await Client.LatestOtpAsync(phone))), "not a proof at all"));
        var next = await SessionsClient.Ok(Client.PostWithProofAsync("token/regenerate", phone.Body(("key", login.Key)), deviceKey));
        var bearer = await SessionsClient.Ok(Client.PostAsync("token/regenerate", phone.Body(("key", next.Key))));

        Assert.False(Jwt.Payload(next.Key!).TryGetProperty("cnf", out _));
        Assert.False(Jwt.Payload(next.Token!).TryGetProperty("cnf", out _));
        Assert.Null(next.DeviceNonce);
        Assert.NotNull(bearer.Key);
    }

    [Fact]
    public async Task ARequiredBrandRefusesAValidateWithoutAProofBeforeTheOtpIsConsumed()
    {
        using var deviceKey = NewDeviceKey();
        var phone = TestDevice.NewMobile(TestBrands.BoundRequired);
        var sessionId = await Client.StartLoginAsync(phone);
        var otp = await Client.LatestOtpAsync(phone);
        var body = phone.Body(("sessionId", sessionId), ("otp", otp));

        var withoutProof = await Client.PostAsync("otp/validate", body);
        var withBadProof = await Client.PostWithProofAsync("otp/validate", body, deviceKey.Proof(Client.Url("token/regenerate")));
        var withProof = await SessionsClient.Ok(Client.PostWithProofAsync("otp/validate", body, deviceKey));

        Assert.Equal((HttpStatusCode.Unauthorized, 1562, "Device proof required."), (withoutProof.Status, withoutProof.Code, withoutProof.Message));
        Assert.Equal((HttpStatusCode.BadRequest, 1560, "Invalid device proof."), (withBadProof.Status, withBadProof.Code, withBadProof.Message));
        Assert.Equal(deviceKey.Thumbprint, Jwt.Payload(withProof.Key!).GetProperty("cnf").GetProperty("jkt").GetString());
    }

    [Fact]
    public async Task ARequiredBrandRefusesAPasswordValidateWithoutAProofAndCountsNoAttempt()
    {
        using var deviceKey = NewDeviceKey();
        var phone = TestDevice.NewMobile(TestBrands.BoundRequired);
        // Sign-up sets the password with the OTP (bound), then a password login proves the password is untouched by refusals.
        var signUp = await Client.StartLoginAsync(phone, ("password", "correct horse 1"), ("confirmPassword", "correct horse 1"));
        await SessionsClient.Ok(Client.PostWithProofAsync("otp/validate", phone.Body(("sessionId", signUp), ("otp", await Client.LatestOtpAsync(phone))), deviceKey));
        var opened = await SessionsClient.Ok(Client.PostAsync("token/generate", phone.Body()));

        // Wrong passwords without a proof: refused for the proof, before the password is looked at, so none counts.
        var refusals = new List<ApiResponse>();
        for (var i = 0; i < 8; i++)
        {
            refusals.Add(await Client.PostAsync("password/validate", phone.Body(("sessionId", opened.SessionId), ("password", $"wrong guess {i}"))));
        }
        var withProof = await SessionsClient.Ok(Client.PostWithProofAsync("password/validate",
            phone.Body(("sessionId", opened.SessionId), ("password", "correct horse 1")), deviceKey));

        Assert.All(refusals, r => Assert.Equal(1562, r.Code));
        Assert.Equal(deviceKey.Thumbprint, Jwt.Payload(withProof.Key!).GetProperty("cnf").GetProperty("jkt").GetString());
    }

    [Fact]
    public async Task EveryAnswerOfABindingBrandToAProofCarryingCallHandsOutTheNextNonce()
    {
        using var deviceKey = NewDeviceKey();
        var phone = TestDevice.NewMobile(TestBrands.BoundRequired);
        var login = await Client.LoginAsync(phone, deviceKey);

        var ok = await SessionsClient.Ok(Client.PostWithProofAsync("token/regenerate", phone.Body(("key", login.Key)), deviceKey));
        var refused = await Client.PostWithProofAsync("token/regenerate", phone.Body(("key", ok.Key)), "garbage");
        var missing = await Client.PostAsync("token/regenerate", phone.Body(("key", ok.Key)));

        Assert.All([login, ok, refused, missing], r => Assert.False(string.IsNullOrEmpty(r.DeviceNonce)));
        // A nonce from any of them makes a proof with a wild iat fresh.
        var wild = deviceKey.Proof(Client.Url("token/regenerate"), refused.DeviceNonce, issuedAt: DateTimeOffset.UnixEpoch);
        await SessionsClient.Ok(Client.PostWithProofAsync("token/regenerate", phone.Body(("key", ok.Key)), wild));
    }
}
