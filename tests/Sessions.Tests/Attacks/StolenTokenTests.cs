using System.Net;
using System.Text.Json.Nodes;
using Sessions.Tests.Infrastructure;

namespace Sessions.Tests.Attacks;

/// <summary>
/// A USER token taken off a phone whose family is bound to its device key, on a brand that requires proofs with bound
/// tokens (README, "Device-bound keys"): on every account call — the signed-in devices, an identifier or password
/// change, the MFA logout — the thief's token alone (1562), with a proof by the thief's own key (1561), or with a proof
/// that is not for this token, this call or this moment (1560, 1563) is refused, and nothing changes. The owner's app,
/// which signs each call with the device key, is served.
/// </summary>
[Collection(AttackCollection.Name)]
public sealed class StolenTokenTests(AttackFixture fixture)
{
    private const string Password = "correct horse 1";
    private SessionsClient Client => fixture.Client;

    public static TheoryData<string> AccountCalls() =>
        ["user/sessions", "user/sessions/revoke", "user/sessions/revokeOthers", "user/updateIdentifierValue", "password/change"];

    [Theory]
    [MemberData(nameof(AccountCalls))]
    public async Task AStolenBoundTokenWithoutAProofIs1562AndChangesNothing(string path)
    {
        using var victim = await BoundVictimAsync();

        var answer = await Client.PostAsync(path, victim.AccountCall(path));

        Assert.Equal((HttpStatusCode.Unauthorized, 1562, "Device proof required."), (answer.Status, answer.Code, answer.Message));
        Assert.False(string.IsNullOrEmpty(answer.DeviceNonce));
        await AssertUnchangedAsync(victim);
    }

    [Theory]
    [MemberData(nameof(AccountCalls))]
    public async Task AStolenBoundTokenWithAProofByTheThiefsOwnKeyIs1561AndChangesNothing(string path)
    {
        using var victim = await BoundVictimAsync();
        using var thiefsKey = new DeviceKey(fixture.Factory.Clock);

        var answer = await Client.PostWithProofAsync(path, victim.AccountCall(path), thiefsKey.Proof(Client.Url(path), accessToken: victim.Token));

        Assert.Equal((HttpStatusCode.Unauthorized, 1561), (answer.Status, answer.Code));
        await AssertUnchangedAsync(victim);
    }

    [Fact]
    public async Task AThiefCannotMoveTheAccountToTheirOwnNumberAndTheCopiedTokenIsASecurityEvent()
    {
        using var victim = await BoundVictimAsync();
        using var thiefsKey = new DeviceKey(fixture.Factory.Clock);
        using var mismatches = new HostCounter(fixture.Factory.Services, "sessions.device_key.mismatches");
        var path = "user/updateIdentifierValue";

        var bare = await Client.PostAsync(path, victim.AccountCall(path));
        var ownKey = await Client.PostWithProofAsync(path, victim.AccountCall(path), thiefsKey.Proof(Client.Url(path), accessToken: victim.Token));

        Assert.Equal((1562, 1561), (bare.Code, ownKey.Code));
        Assert.Equal(1, mismatches.Total);
        Assert.Contains(fixture.Logs.Entries, e => e.EventId.Id == 3021 && e.Values["Path"] == "/auth/v1/" + path
            && e.Values["DeviceId"] == victim.Phone.DeviceId![..4] + "***" && e.Values["Brand"] == TestBrands.BoundRequired);
        Assert.Null(await Client.LatestOtpOrNullAsync(victim.Phone with { IdentifierValue = victim.ThiefsNumber }));
        var customerId = Jwt.Payload(victim.Token).GetProperty("uid").GetString();
        var history = (await fixture.AdminAsync(HttpMethod.Get, $"/admin/v1/brands/{TestBrands.BoundRequired}/customers/{customerId}/events")).Body;
        Assert.Single(history.GetProperty("events").EnumerateArray(), e => e.GetProperty("kind").GetString() == "DEVICE_KEY_MISMATCH");
        await AssertUnchangedAsync(victim);
    }

    public static TheoryData<string> ProofsForSomethingElse() =>
        ["no-ath", "ath-of-the-key", "ath-of-another-token", "ath-not-base64url", "htu-another-account-call", "htm-get"];

    [Theory]
    [MemberData(nameof(ProofsForSomethingElse))]
    public async Task AProofMadeForAnotherTokenOrCallIs1560AndChangesNothing(string variant)
    {
        using var victim = await BoundVictimAsync();
        using var other = await BoundVictimAsync();
        const string path = "user/sessions/revokeOthers";
        var url = Client.Url(path);

        var proof = variant switch
        {
            "no-ath" => victim.DeviceKey.Proof(url),
            "ath-of-the-key" => victim.DeviceKey.Proof(url, accessToken: victim.Key),
            "ath-of-another-token" => victim.DeviceKey.Proof(url, accessToken: other.Token),
            "ath-not-base64url" => victim.DeviceKey.Proof(url, payload: p => p["ath"] = "not base64url at all!"),
            "htu-another-account-call" => victim.DeviceKey.Proof(Client.Url("user/sessions"), accessToken: victim.Token),
            "htm-get" => victim.DeviceKey.Proof(url, method: "GET", accessToken: victim.Token),
            _ => throw new ArgumentOutOfRangeException(nameof(variant)),
        };
        var answer = await Client.PostWithProofAsync(path, victim.AccountCall(path), proof);

        Assert.Equal((HttpStatusCode.BadRequest, 1560, "Invalid device proof."), (answer.Status, answer.Code, answer.Message));
        await AssertUnchangedAsync(victim);
    }

    [Fact]
    public async Task AProofSeenWithOneCallIsAReplayOnTheNext()
    {
        using var victim = await BoundVictimAsync();
        var proof = victim.DeviceKey.Proof(Client.Url("user/sessions"), accessToken: victim.Token);

        var first = await Client.PostWithProofAsync("user/sessions", victim.AccountCall("user/sessions"), proof);
        var replayed = await Client.PostWithProofAsync("user/sessions", victim.AccountCall("user/sessions"), proof);

        Assert.Equal(HttpStatusCode.OK, first.Status);
        Assert.Equal((HttpStatusCode.BadRequest, 1560), (replayed.Status, replayed.Code));
    }

    [Fact]
    public async Task ABurstOfSignOutsWithOneCapturedProofHasAtMostOneSuccess()
    {
        using var victim = await BoundVictimAsync();
        const string path = "user/sessions/revokeOthers";
        var proof = victim.DeviceKey.Proof(Client.Url(path), accessToken: victim.Token);

        var answers = await Task.WhenAll(Enumerable.Range(0, 12).Select(_ => Client.PostWithProofAsync(path, victim.AccountCall(path), proof)));

        var succeeded = Assert.Single(answers, a => a.Status == HttpStatusCode.OK);
        Assert.All(answers.Where(a => a != succeeded), a => Assert.Equal((HttpStatusCode.BadRequest, 1560), (a.Status, a.Code)));
    }

    [Fact]
    public async Task AStaleProofIs1563WithANonceAndTheRetryWithItIsServed()
    {
        using var victim = await BoundVictimAsync();
        var url = Client.Url("user/sessions");
        var phoneClock = fixture.Factory.Clock.GetUtcNow().AddHours(-1);

        var stale = await Client.PostWithProofAsync("user/sessions", victim.AccountCall("user/sessions"),
            victim.DeviceKey.Proof(url, issuedAt: phoneClock, accessToken: victim.Token));
        var retried = await Client.PostWithProofAsync("user/sessions", victim.AccountCall("user/sessions"),
            victim.DeviceKey.Proof(url, stale.DeviceNonce, issuedAt: phoneClock, accessToken: victim.Token));

        Assert.Equal((HttpStatusCode.BadRequest, 1563), (stale.Status, stale.Code));
        Assert.Equal(HttpStatusCode.OK, retried.Status);
        Assert.False(string.IsNullOrEmpty(retried.DeviceNonce));
    }

    [Fact]
    public async Task TheOwnersProofsAuthoriseTheListAnIdentifierChangeAndAPasswordChange()
    {
        using var victim = await BoundVictimAsync();
        var newNumber = TestDevice.NewMobile(TestBrands.BoundRequired).IdentifierValue;

        var listed = await victim.SignedAsync("user/sessions");
        var codeSent = await victim.SignedAsync("user/updateIdentifierValue", ("newIdentifierValue", newNumber));
        var changed = await victim.SignedAsync("password/change",
            ("password", Password), ("newPassword", "correct horse 2"), ("confirmPassword", "correct horse 2"));

        Assert.True(listed.Body.GetProperty("sessions")[0].GetProperty("families")[0].GetProperty("current").GetBoolean());
        Assert.Equal("OTP sent to the new identifier value.", codeSent.Message);
        Assert.Equal("SUCCESS", changed.Message);
    }

    [Fact]
    public async Task AProofMadeByAJwtLibraryAsTheReadmeToolMakesItAuthorisesTheOwnersCall()
    {
        using var key = System.Security.Cryptography.ECDsa.Create(System.Security.Cryptography.ECCurve.NamedCurves.nistP256);
        var maker = new Sessions.Samples.DeviceProof.DeviceProofMaker(key);
        var phone = TestDevice.NewMobile(TestBrands.BoundRequired);
        var login = await Client.LoginAsync(phone, url => maker.Create("POST", url.ToString(), fixture.Factory.Clock.GetUtcNow()));

        var listed = await Client.PostWithProofAsync("user/sessions", phone.Body(("token", login.Token)),
            maker.Create("POST", Client.Url("user/sessions").ToString(), fixture.Factory.Clock.GetUtcNow(), login.DeviceNonce, accessToken: login.Token));

        Assert.Equal(maker.Thumbprint, Jwt.Payload(login.Token!).GetProperty("cnf").GetProperty("jkt").GetString());
        Assert.Equal(HttpStatusCode.OK, listed.Status);
    }

    [Fact]
    public async Task AnMfaLogoutOfABoundMfaFamilyNeedsItsProofWhileOpeningTheMfaLoginDoesNot()
    {
        using var victim = await BoundVictimAsync();
        // Opening the second factor is a login step, not an account call: the first factor's token goes without a proof.
        var opened = await SessionsClient.Ok(Client.PostAsync("mfa/token/generate", victim.Phone.Body(("authorizedToken", victim.Token))));
        await SessionsClient.Ok(Client.PostAsync("mfa/otp/generate", victim.Phone.Body(("sessionId", opened.SessionId))));
        var mfa = await SessionsClient.Ok(Client.PostWithProofAsync("mfa/otp/validate",
            victim.Phone.Body(("sessionId", opened.SessionId), ("otp", await Client.LatestOtpAsync(victim.Phone))), victim.DeviceKey));
        var expire = victim.Phone.Body(("token", mfa.Token));

        var bare = await Client.PostAsync("mfa/token/expire", expire);
        var expired = await Client.PostWithProofAsync("mfa/token/expire", expire,
            victim.DeviceKey.Proof(Client.Url("mfa/token/expire"), accessToken: mfa.Token));
        var regenerated = await Client.PostWithProofAsync("mfa/token/regenerate", victim.Phone.Body(("key", mfa.Key)), victim.DeviceKey);

        Assert.Equal((HttpStatusCode.Unauthorized, 1562), (bare.Status, bare.Code));
        Assert.Equal((HttpStatusCode.OK, "Token expired successfully"), (expired.Status, expired.Message));
        Assert.Equal((HttpStatusCode.Unauthorized, 1597), (regenerated.Status, regenerated.Code));
    }

    [Fact]
    public async Task ABindingBrandWithoutTheSettingTakesABoundTokenAloneAsTheContractHasIt()
    {
        using var deviceKey = new DeviceKey(fixture.Factory.Clock);
        var phone = TestDevice.NewMobile(TestBrands.Bound);
        var login = await Client.LoginAsync(phone, deviceKey);
        Assert.True(Jwt.Payload(login.Token!).TryGetProperty("cnf", out _));

        var listed = await Client.PostAsync("user/sessions", phone.Body(("token", login.Token)));
        // A proof the brand does not ask for is ignored, and its answer hands out the next nonce, as every binding brand's does.
        var withProof = await Client.PostWithProofAsync("user/sessions", phone.Body(("token", login.Token)), deviceKey.Proof(Client.Url("user/sessions")));

        Assert.Equal(HttpStatusCode.OK, listed.Status);
        Assert.Null(listed.DeviceNonce);
        Assert.Equal(HttpStatusCode.OK, withProof.Status);
        Assert.False(string.IsNullOrEmpty(withProof.DeviceNonce));
    }

    /// <summary>A customer of BOUNDREQ who signed up with a password on a phone with a device key: a bound family.</summary>
    private async Task<Victim> BoundVictimAsync()
    {
        var phone = TestDevice.NewMobile(TestBrands.BoundRequired);
        var deviceKey = new DeviceKey(fixture.Factory.Clock);
        var sessionId = await Client.StartLoginAsync(phone, ("password", Password), ("confirmPassword", Password));
        var login = await SessionsClient.Ok(Client.PostWithProofAsync("otp/validate",
            phone.Body(("sessionId", sessionId), ("otp", await Client.LatestOtpAsync(phone))), deviceKey));
        Assert.Equal(deviceKey.Thumbprint, Jwt.Payload(login.Token!).GetProperty("cnf").GetProperty("jkt").GetString());
        return new Victim(Client, phone, deviceKey, login.Token!, login.Key!, TestDevice.NewMobile(TestBrands.BoundRequired).IdentifierValue);
    }

    /// <summary>
    /// The family as it was: its key still regenerates with the owner's proof (past the grace, so a rotation by a refusal
    /// would show as 1525), the owner's signed list shows the one family, and no identifier change was started.
    /// </summary>
    private async Task AssertUnchangedAsync(Victim victim)
    {
        fixture.Factory.Clock.Advance(TimeSpan.FromSeconds(31));
        var next = await Client.PostWithProofAsync("token/regenerate", victim.Phone.Body(("key", victim.Key)), victim.DeviceKey);
        Assert.True(next.Status == HttpStatusCode.OK, $"the family changed: {next.Body}");
        var listed = await (victim with { Token = next.Token! }).SignedAsync("user/sessions");
        var family = Assert.Single(Assert.Single(listed.Body.GetProperty("sessions").EnumerateArray()).GetProperty("families").EnumerateArray());
        Assert.Equal(Jwt.Payload(victim.Key).GetProperty("sid").GetString(), family.GetProperty("familyId").GetString());
        Assert.Null(await Client.LatestOtpOrNullAsync(victim.Phone with { IdentifierValue = victim.ThiefsNumber }));
    }

    private sealed record Victim(SessionsClient Client, TestDevice Phone, DeviceKey DeviceKey, string Token, string Key, string ThiefsNumber) : IDisposable
    {
        /// <summary>The body of an account call with the victim's token, as a thief who copied it would send it.</summary>
        public JsonObject AccountCall(string path) => path switch
        {
            "user/sessions/revoke" => Phone.Body(("token", Token), ("familyId", Jwt.Payload(Token).GetProperty("sid").GetString())),
            "user/updateIdentifierValue" => Phone.Body(("token", Token), ("newIdentifierValue", ThiefsNumber)),
            "password/change" => Phone.Body(("token", Token), ("password", Password), ("newPassword", "thief's password 1"), ("confirmPassword", "thief's password 1")),
            _ => Phone.Body(("token", Token)),
        };

        /// <summary>An account call by the owner's app: the token, and a fresh proof by the device key that names it.</summary>
        public Task<ApiResponse> SignedAsync(string path, params (string Name, object? Value)[] fields) =>
            SessionsClient.Ok(Client.PostWithProofAsync(path, Phone.Body([("token", Token), .. fields]), DeviceKey.Proof(Client.Url(path), accessToken: Token)));

        public void Dispose() => DeviceKey.Dispose();
    }
}
