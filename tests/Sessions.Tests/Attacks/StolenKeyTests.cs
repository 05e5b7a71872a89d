using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.IdentityModel.Tokens;
using Sessions.Tests.Infrastructure;

namespace Sessions.Tests.Attacks;

/// <summary>
/// A key copied off a phone whose family is bound to its device key (API.md §4.7): whatever the thief sends (no proof,
/// a proof by their own key, a doctored, replayed or stale proof) is refused with its code, and the family is exactly
/// as it was. The proof: after the refusals and past the reuse grace, the owner's current key still regenerates, which
/// it would not if anything had rotated it (1525) or revoked the family.
/// </summary>
[Collection(AttackCollection.Name)]
public sealed class StolenKeyTests(AttackFixture fixture)
{
    private const string Regenerate = "token/regenerate";
    private SessionsClient Client => fixture.Client;

    public static TheoryData<string> MalformedProofs() =>
    [
        "not-a-jws", "typ-jwt", "alg-hs256", "alg-none", "htm-get", "htu-other-endpoint", "htu-other-host", "private-jwk",
        "rsa-jwk", "p384-jwk", "signed-by-another-key", "no-jti", "jti-of-129-characters", "no-iat", "two-dpop-headers",
    ];

    [Theory]
    [MemberData(nameof(MalformedProofs))]
    public async Task AMalformedProofIs1560AndLeavesTheFamilyAsItWas(string variant)
    {
        var (phone, deviceKey, key) = await BoundVictimAsync();
        using var otherKey = new DeviceKey(fixture.Factory.Clock);
        var url = Client.Url(Regenerate);
        var body = phone.Body(("key", key));

        var answer = variant switch
        {
            "not-a-jws" => await Client.PostWithProofAsync(Regenerate, body, "eyJ0eXAiOiJkcG9wK2p3dCJ9.e30"),
            "typ-jwt" => await Client.PostWithProofAsync(Regenerate, body, deviceKey.Proof(url, header: h => h["typ"] = "JWT")),
            "alg-hs256" => await Client.PostWithProofAsync(Regenerate, body, deviceKey.Proof(url, header: h => h["alg"] = "HS256")),
            "alg-none" => await Client.PostWithProofAsync(Regenerate, body, Unsigned(deviceKey.Proof(url, header: h => h["alg"] = "none"))),
            "htm-get" => await Client.PostWithProofAsync(Regenerate, body, deviceKey.Proof(url, method: "GET")),
            "htu-other-endpoint" => await Client.PostWithProofAsync(Regenerate, body, deviceKey.Proof(Client.Url("mfa/token/regenerate"))),
            "htu-other-host" => await Client.PostWithProofAsync(Regenerate, body, deviceKey.Proof(new Uri("https://evil.example/auth/v1/token/regenerate"))),
            "private-jwk" => await Client.PostWithProofAsync(Regenerate, body, deviceKey.Proof(url, header: h => h["jwk"] = deviceKey.PrivateJwk())),
            "rsa-jwk" => await Client.PostWithProofAsync(Regenerate, body, deviceKey.Proof(url, header: h => h["jwk"] = new JsonObject { ["kty"] = "RSA", ["n"] = "AQAB", ["e"] = "AQAB" })),
            "p384-jwk" => await Client.PostWithProofAsync(Regenerate, body, deviceKey.Proof(url, header: h => h["jwk"]!["crv"] = "P-384")),
            "signed-by-another-key" => await Client.PostWithProofAsync(Regenerate, body, deviceKey.Proof(url, header: h => h["jwk"] = otherKey.PublicJwk())),
            "no-jti" => await Client.PostWithProofAsync(Regenerate, body, deviceKey.Proof(url, payload: p => p.Remove("jti"))),
            "jti-of-129-characters" => await Client.PostWithProofAsync(Regenerate, body, deviceKey.Proof(url, jti: new string('j', 129))),
            "no-iat" => await Client.PostWithProofAsync(Regenerate, body, deviceKey.Proof(url, payload: p => p.Remove("iat"))),
            "two-dpop-headers" => await TwoProofsAsync(body, deviceKey.Proof(url), deviceKey.Proof(url)),
            _ => throw new ArgumentOutOfRangeException(nameof(variant)),
        };

        Assert.Equal((HttpStatusCode.BadRequest, 1560, "Invalid device proof."), (answer.Status, answer.Code, answer.Message));
        await AssertUnchangedAsync(phone, deviceKey, key);
    }

    [Fact]
    public async Task ACopiedKeyWithoutAProofIs1562AndCannotTriggerReuseDetection()
    {
        var (phone, deviceKey, first) = await BoundVictimAsync();
        var current = (await SessionsClient.Ok(Client.PostWithProofAsync(Regenerate, phone.Body(("key", first)), deviceKey))).Key!;
        fixture.Factory.Clock.Advance(TimeSpan.FromSeconds(31));

        // The thief copied the first key; replaying it past the grace would revoke a bearer family (1525).
        var replayed = await Client.PostAsync(Regenerate, phone.Body(("key", first)));
        var current2 = await Client.PostAsync(Regenerate, phone.Body(("key", current)));

        Assert.Equal((HttpStatusCode.Unauthorized, 1562), (replayed.Status, replayed.Code));
        Assert.Equal((HttpStatusCode.Unauthorized, 1562), (current2.Status, current2.Code));
        await AssertUnchangedAsync(phone, deviceKey, current);
    }

    [Fact]
    public async Task ACopiedKeyWithTheThiefsOwnDeviceKeyIs1561ASecurityEventAndTheOwnerStaysLoggedIn()
    {
        var (phone, deviceKey, first) = await BoundVictimAsync();
        var current = (await SessionsClient.Ok(Client.PostWithProofAsync(Regenerate, phone.Body(("key", first)), deviceKey))).Key!;
        fixture.Factory.Clock.Advance(TimeSpan.FromSeconds(31));
        using var thiefsKey = new DeviceKey(fixture.Factory.Clock);
        using var mismatches = new HostCounter(fixture.Factory.Services, "sessions.device_key.mismatches");

        var withCurrent = await Client.PostWithProofAsync(Regenerate, phone.Body(("key", current)), thiefsKey);
        var withOld = await Client.PostWithProofAsync(Regenerate, phone.Body(("key", first)), thiefsKey);

        Assert.Equal((HttpStatusCode.Unauthorized, 1561, "Device key does not match the key's binding."), (withCurrent.Status, withCurrent.Code, withCurrent.Message));
        Assert.Equal((HttpStatusCode.Unauthorized, 1561), (withOld.Status, withOld.Code));
        Assert.Contains(fixture.Logs.Entries, e => e.EventId.Id == 3014 && e.EventId.Name == "DeviceKeyMismatch" && e.Values["Brand"] == TestBrands.Bound
            && e.Values["DeviceId"] == phone.DeviceId![..4] + "***");
        Assert.Equal(2, mismatches.Total);
        // The owner's security history shows the copied key once, however often the thief tries it.
        var customerId = Jwt.Payload(first).GetProperty("uid").GetString();
        var history = (await fixture.AdminAsync(HttpMethod.Get, $"/admin/v1/brands/{TestBrands.Bound}/customers/{customerId}/events")).Body;
        var copied = Assert.Single(history.GetProperty("events").EnumerateArray(), e => e.GetProperty("kind").GetString() == "DEVICE_KEY_MISMATCH");
        Assert.Equal(2, copied.GetProperty("count").GetInt32());
        Assert.Equal(phone.DeviceId![..4] + "***", copied.GetProperty("device").GetString());
        await AssertUnchangedAsync(phone, deviceKey, current);
    }

    [Fact]
    public async Task TheSameProofTwiceIsAReplayEvenForARetryWithinTheGrace()
    {
        var (phone, deviceKey, key) = await BoundVictimAsync();
        var proof = deviceKey.Proof(Client.Url(Regenerate));

        var first = await SessionsClient.Ok(Client.PostWithProofAsync(Regenerate, phone.Body(("key", key)), proof));
        var replayedAtRetry = await Client.PostWithProofAsync(Regenerate, phone.Body(("key", key)), proof);
        var replayedAtNext = await Client.PostWithProofAsync(Regenerate, phone.Body(("key", first.Key)), proof);
        var freshRetry = await SessionsClient.Ok(Client.PostWithProofAsync(Regenerate, phone.Body(("key", key)), deviceKey));

        Assert.Equal((HttpStatusCode.BadRequest, 1560), (replayedAtRetry.Status, replayedAtRetry.Code));
        Assert.Equal((HttpStatusCode.BadRequest, 1560), (replayedAtNext.Status, replayedAtNext.Code));
        Assert.Equal(first.Key, freshRetry.Key);
        await AssertUnchangedAsync(phone, deviceKey, first.Key!);
    }

    [Fact]
    public async Task ABurstOfRequestsWithOneProofHasExactlyOneSuccess()
    {
        var (phone, deviceKey, key) = await BoundVictimAsync();
        var proof = deviceKey.Proof(Client.Url(Regenerate));

        var answers = await Task.WhenAll(Enumerable.Range(0, 12).Select(_ => Client.PostWithProofAsync(Regenerate, phone.Body(("key", key)), proof)));

        var succeeded = Assert.Single(answers, a => a.Status == HttpStatusCode.OK);
        Assert.All(answers.Where(a => a != succeeded), a => Assert.Equal((HttpStatusCode.BadRequest, 1560), (a.Status, a.Code)));
        await AssertUnchangedAsync(phone, deviceKey, succeeded.Key!);
    }

    [Fact]
    public async Task AStaleProofIs1563AndAForgedExpiredOrForeignNonceDoesNotMakeItFresh()
    {
        var (phone, deviceKey, key) = await BoundVictimAsync();
        var url = Client.Url(Regenerate);
        var body = phone.Body(("key", key));
        var longAgo = fixture.Factory.Clock.GetUtcNow().AddMinutes(-10);
        var foreign = (await Client.LoginAsync(TestDevice.NewMobile(TestBrands.BoundRequired), new DeviceKey(fixture.Factory.Clock))).DeviceNonce!;
        var own = (await Client.PostWithProofAsync(Regenerate, body, "not a proof")).DeviceNonce!;
        var forged = Base64UrlEncoder.Encode(Encoding.ASCII.GetBytes("0123456789abcdef01234567"));
        var tampered = own[..^2] + (own[^2] == 'A' ? "B" : "A") + own[^1];

        var stale = await Client.PostWithProofAsync(Regenerate, body, deviceKey.Proof(url, issuedAt: longAgo));
        var future = await Client.PostWithProofAsync(Regenerate, body, deviceKey.Proof(url, issuedAt: fixture.Factory.Clock.GetUtcNow().AddMinutes(10)));
        var withForeign = await Client.PostWithProofAsync(Regenerate, body, deviceKey.Proof(url, foreign, issuedAt: longAgo));
        var withForged = await Client.PostWithProofAsync(Regenerate, body, deviceKey.Proof(url, forged, issuedAt: longAgo));
        var withTampered = await Client.PostWithProofAsync(Regenerate, body, deviceKey.Proof(url, tampered, issuedAt: longAgo));
        fixture.Factory.Clock.Advance(TimeSpan.FromSeconds(301));
        var withExpired = await Client.PostWithProofAsync(Regenerate, body, deviceKey.Proof(url, own, issuedAt: longAgo));

        Assert.All([stale, future, withForeign, withForged, withTampered, withExpired], a =>
        {
            Assert.Equal((HttpStatusCode.BadRequest, 1563, "Device proof needs a fresh nonce."), (a.Status, a.Code, a.Message));
            Assert.False(string.IsNullOrEmpty(a.DeviceNonce));
        });
        await AssertUnchangedAsync(phone, deviceKey, key);
    }

    [Fact]
    public async Task AFamilyTakesAHundredProofsAWindowThenRefusesWith429UntilTheyAreStale()
    {
        var (phone, deviceKey, key) = await BoundVictimAsync();
        // The validate's proof is the first the family remembers.
        for (var i = 1; i < 100; i++)
        {
            key = (await SessionsClient.Ok(Client.PostWithProofAsync(Regenerate, phone.Body(("key", key)), deviceKey))).Key!;
        }

        var refused = await Client.PostWithProofAsync(Regenerate, phone.Body(("key", key)), deviceKey);
        fixture.Factory.Clock.Advance(TimeSpan.FromSeconds(61));
        var later = await Client.PostWithProofAsync(Regenerate, phone.Body(("key", key)), deviceKey);

        Assert.Equal((HttpStatusCode.TooManyRequests, 429), (refused.Status, refused.Code));
        Assert.NotNull(refused.Raw.Headers.RetryAfter);
        Assert.Equal(HttpStatusCode.OK, later.Status);
        Assert.NotEqual(key, later.Key);
    }

    [Fact]
    public async Task TheAdminListShowsWhichFamiliesAreDeviceBound()
    {
        var (phone, _, key) = await BoundVictimAsync();
        var customer = Jwt.Payload(key).GetProperty("uid").GetString();
        await Client.LoginAsync(phone.OnDevice("old-app-" + Guid.NewGuid().ToString("N")));

        var (status, listed) = await fixture.AdminAsync(HttpMethod.Get, $"/admin/v1/brands/{TestBrands.Bound}/customers/{customer}/sessions");

        Assert.Equal(HttpStatusCode.OK, status);
        var bound = listed.GetProperty("sessions").EnumerateArray()
            .Select(s => (Device: s.GetProperty("deviceId").GetString(), Bound: s.GetProperty("families")[0].GetProperty("deviceBound").GetBoolean()))
            .ToDictionary(s => s.Device!, s => s.Bound);
        Assert.True(bound[phone.DeviceId!]);
        Assert.Single(bound, b => !b.Value);
    }

    /// <summary>A customer of BOUND logged in with a device key: the device, its key and the family's current key.</summary>
    private async Task<(TestDevice Phone, DeviceKey DeviceKey, string Key)> BoundVictimAsync()
    {
        var phone = TestDevice.NewMobile(TestBrands.Bound);
        var deviceKey = new DeviceKey(fixture.Factory.Clock);
        var login = await Client.LoginAsync(phone, deviceKey);
        return (phone, deviceKey, login.Key!);
    }

    /// <summary>
    /// The family as it was: past the reuse grace, <paramref name="currentKey"/> still regenerates with a valid proof.
    /// Had a refusal rotated the family, that key would now be a replay (1525); had it revoked it, 1597 or 1525.
    /// </summary>
    private async Task AssertUnchangedAsync(TestDevice phone, DeviceKey deviceKey, string currentKey)
    {
        fixture.Factory.Clock.Advance(TimeSpan.FromSeconds(31));
        var next = await Client.PostWithProofAsync(Regenerate, phone.Body(("key", currentKey)), deviceKey);
        Assert.True(next.Status == HttpStatusCode.OK, $"the family changed: {next.Body}");
        Assert.NotEqual(currentKey, next.Key);
    }

    private async Task<ApiResponse> TwoProofsAsync(JsonObject body, string first, string second)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/auth/v1/" + Regenerate)
        {
            Content = new StringContent(body.ToJsonString(), Encoding.UTF8, "application/json"),
        };
        request.Headers.Add("DPoP", [first, second]);
        return await Client.SendAsync(request);
    }

    private static string Unsigned(string proof) => proof[..(proof.LastIndexOf('.') + 1)];
}
