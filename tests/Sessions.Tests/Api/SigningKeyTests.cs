using System.Net;
using System.Text.Json;
using Microsoft.IdentityModel.Tokens;
using Sessions.Grains.Configuration;
using Sessions.Tests.Infrastructure;

namespace Sessions.Tests.Api;

/// <summary>
/// ES256 next to HS256 (API.md §4.5): the JWKS publishes the public halves, every listed key verifies, the first whose
/// <c>SignFrom</c> has come signs, a removed key's tokens and keys fail, and <c>alg</c> must be the one of the key
/// <c>kid</c> names.
/// </summary>
[Collection(ApiCollection.Name)]
public sealed class SigningKeyTests(ApiFixture fixture)
{
    private SessionsClient Client => fixture.Client;

    [Fact]
    public async Task TheJwksListsTheBrandsEs256KeysAsPublicJwksWithCacheHeaders()
    {
        var response = await Client.Http.GetAsync("/auth/v1/brands/signed/jwks.json");
        var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
        var key = Assert.Single(body.GetProperty("keys").EnumerateArray());

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("public, max-age=300", response.Headers.CacheControl?.ToString());
        Assert.Equal(("EC", "P-256", "signed-es256-1", "ES256", "sig"),
            (key.GetProperty("kty").GetString(), key.GetProperty("crv").GetString(), key.GetProperty("kid").GetString(), key.GetProperty("alg").GetString(), key.GetProperty("use").GetString()));
        Assert.False(string.IsNullOrEmpty(key.GetProperty("x").GetString()));
        Assert.False(string.IsNullOrEmpty(key.GetProperty("y").GetString()));
        Assert.False(key.TryGetProperty("d", out _));
    }

    [Fact]
    public async Task AnHs256BrandPublishesNoKeyAndAnUnknownBrandIsNotFound()
    {
        var hs256 = JsonDocument.Parse(await Client.Http.GetStringAsync("/auth/v1/brands/DEMO/jwks.json")).RootElement;
        var unknown = await Client.Http.GetAsync("/auth/v1/brands/nope/jwks.json");
        var envelope = JsonDocument.Parse(await unknown.Content.ReadAsStringAsync()).RootElement;

        Assert.Empty(hs256.GetProperty("keys").EnumerateArray());
        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
        Assert.Equal(1504, envelope.GetProperty("status").GetProperty("code").GetInt32());
    }

    [Fact]
    public async Task AnEs256BrandsUserTokenValidatesWithNothingButTheJwks()
    {
        var phone = TestDevice.NewMobile(TestBrands.Signed);
        var login = await Client.MfaLoginAsync(phone, phone);
        var jwks = new JsonWebKeySet(await Client.Http.GetStringAsync("/auth/v1/brands/SIGNED/jwks.json"));

        var result = await Jwt.ValidateWithJwksAsync(login.Token!, jwks);
        var regenerated = await Client.PostAsync("mfa/token/regenerate", phone.Body(("key", login.Key)));

        Assert.Equal("ES256", Jwt.Header(login.Token!).GetProperty("alg").GetString());
        Assert.True(result.IsValid, result.Exception?.Message);
        Assert.True(regenerated.Success, regenerated.Body.ToString());
    }

    [Fact]
    public async Task AnEs256TokenReSignedAsHs256WithThePublicKeyIsRefused()
    {
        var phone = TestDevice.NewMobile(TestBrands.Signed);
        var login = await Client.MfaLoginAsync(phone, phone);
        var jwk = JsonDocument.Parse(await Client.Http.GetStringAsync("/auth/v1/brands/SIGNED/jwks.json")).RootElement.GetProperty("keys")[0];
        var publicBytes = Base64UrlEncoder.DecodeBytes(jwk.GetProperty("x").GetString()).Concat(Base64UrlEncoder.DecodeBytes(jwk.GetProperty("y").GetString())).ToArray();
        var header = Jwt.RawHeader(login.Token!).Replace("\"ES256\"", "\"HS256\"", StringComparison.Ordinal);

        var forgedToken = Jwt.Sign(header, Jwt.RawPayload(login.Token!), Convert.ToBase64String(publicBytes));
        var forgedKey = Jwt.Sign(Jwt.RawHeader(login.Key!).Replace("\"ES256\"", "\"HS256\"", StringComparison.Ordinal), Jwt.RawPayload(login.Key!), Convert.ToBase64String(publicBytes));
        var logout = await Client.PostAsync("mfa/token/expire", phone.Body(("token", forgedToken)));
        var regenerate = await Client.PostAsync("mfa/token/regenerate", phone.Body(("key", forgedKey)));

        Assert.Equal(1596, logout.Code);
        Assert.Equal(1597, regenerate.Code);
    }

    [Fact]
    public async Task SigningKeysRotateAcrossRestartsWithoutLoggingAnyoneOut()
    {
        var data = TempDirectory.Create("rotation");
        var (oldKey, newKey) = (SigningKeyMaterial.NewP256Pem(), SigningKeyMaterial.NewP256Pem());
        var early = TestDevice.NewMobile("ROTATE");
        var idle = TestDevice.NewMobile("ROTATE");
        string earlyKey, idleKey, rotatedKey;

        await using (var first = Rotating(data, ("old", oldKey)))
        {
            var client = first.CreateSessionsClient();
            earlyKey = (await client.LoginAsync(early)).Key!;
            idleKey = (await client.LoginAsync(idle)).Key!;
        }
        await using (var second = Rotating(data, ("new", newKey), ("old", oldKey)))
        {
            var client = second.CreateSessionsClient();
            var regenerated = await SessionsClient.Ok(client.PostAsync("token/regenerate", early.Body(("key", earlyKey))));
            rotatedKey = regenerated.Key!;
            // Keys are signed by the new ES256 key's HS256 twin (kid "+keys"), which only this service can verify.
            Assert.Equal("new+keys", Jwt.Header(rotatedKey).GetProperty("kid").GetString());
            Assert.Equal(["new", "old"], JsonDocument.Parse(await client.Http.GetStringAsync("/auth/v1/brands/ROTATE/jwks.json")).RootElement
                .GetProperty("keys").EnumerateArray().Select(k => k.GetProperty("kid").GetString()));
        }
        await using (var third = Rotating(data, ("new", newKey)))
        {
            var client = third.CreateSessionsClient();
            var retired = await client.PostAsync("token/regenerate", idle.Body(("key", idleKey)));
            var current = await client.PostAsync("token/regenerate", early.Body(("key", rotatedKey)));

            Assert.Equal(1597, retired.Code);
            Assert.True(current.Success, current.Body.ToString());
        }
    }

    [Fact]
    public async Task AStagedKeyIsPublishedAtOnceAndSignsOnlyFromItsSignFrom()
    {
        var start = DateTimeOffset.UtcNow;
        await using var api = Staged(start, signFrom: start.AddMinutes(10));
        var client = api.CreateSessionsClient();
        var phone = TestDevice.NewMobile("ROTATE");

        var jwks = new JsonWebKeySet(await client.Http.GetStringAsync("/auth/v1/brands/ROTATE/jwks.json"));
        var login = await client.LoginAsync(phone);
        var stagedHealth = await SigningKeysHealthAsync(client);
        api.Clock.Advance(TimeSpan.FromMinutes(10));
        var switchedHealth = await SigningKeysHealthAsync(client);
        var regenerated = await SessionsClient.Ok(client.PostAsync("token/regenerate", phone.Body(("key", login.Key))));
        var again = await client.PostAsync("token/regenerate", phone.Body(("key", regenerated.Key)));

        Assert.Equal(["new", "old"], jwks.Keys.Select(k => k.Kid));
        // Each API process says what it will do, so an operator can check the roll before the switch.
        Assert.Contains($"ROTATE: 'old' signs, 'new' from {start.AddMinutes(10).ToUniversalTime():O}", stagedHealth);
        Assert.DoesNotContain("ROTATE", switchedHealth);
        Assert.Equal(("old", "old+keys"), (Kid(login.Token!), Kid(login.Key!)));
        Assert.Equal(("new", "new+keys"), (Kid(regenerated.Token!), Kid(regenerated.Key!)));
        Assert.True(again.Success, again.Body.ToString());
        // Tokens from both sides of the switch verify with nothing but the JWKS a resource server fetched before it.
        Assert.True((await Jwt.ValidateWithJwksAsync(login.Token!, jwks)).IsValid);
        Assert.True((await Jwt.ValidateWithJwksAsync(regenerated.Token!, jwks)).IsValid);
    }

    [Fact]
    public async Task DuringARollAProcessStillOnTheOldKeysAcceptsTheKeysAStagedProcessSignedButNotAnUnstagedOnes()
    {
        // The processes of a roll, one after the other on one data directory: verifying a key needs nothing but the
        // process's own key list, so each stands for an API process at that point of the roll.
        var data = TempDirectory.Create("roll");
        var (oldKey, newKey) = (SigningKeyMaterial.NewP256Pem(), SigningKeyMaterial.NewP256Pem());
        var staged = TestDevice.NewMobile(RotatingBrand.Name);
        var unstaged = TestDevice.NewMobile(RotatingBrand.Name);
        string stagedKey, unstagedKey;

        await using (var rolled = new ApiFactory(dataDirectory: data, settings: RotatingBrand.Settings(("new", newKey, DateTimeOffset.UtcNow.AddHours(1)), ("old", oldKey, null))))
        {
            stagedKey = (await rolled.CreateSessionsClient().LoginAsync(staged)).Key!;
        }
        await using (var rolledUnstaged = Rotating(data, ("new", newKey), ("old", oldKey)))
        {
            unstagedKey = (await rolledUnstaged.CreateSessionsClient().LoginAsync(unstaged)).Key!;
        }
        await using var notYetRolled = Rotating(data, ("old", oldKey));
        var client = notYetRolled.CreateSessionsClient();
        var fromTheStaged = await client.PostAsync("token/regenerate", staged.Body(("key", stagedKey)));
        var fromTheUnstaged = await client.PostAsync("token/regenerate", unstaged.Body(("key", unstagedKey)));

        Assert.True(fromTheStaged.Success, fromTheStaged.Body.ToString());
        // Without SignFrom the customer would have to log in again.
        Assert.Equal((HttpStatusCode.Unauthorized, 1597), (fromTheUnstaged.Status, fromTheUnstaged.Code));
    }

    [Fact]
    public async Task ARetryAcrossASignFromGetsTheByteIdenticalSuccessorKeyAndWebToken()
    {
        var start = DateTimeOffset.UtcNow;
        await using var api = Staged(start, signFrom: start.AddSeconds(10));
        var client = api.CreateSessionsClient();
        var phone = TestDevice.NewMobile("ROTATE");
        var browser = TestDevice.NewBrowser("ROTATE");
        var login = await client.LoginAsync(phone);
        var webLogin = await client.WebLoginAsync(browser);

        api.Clock.Advance(TimeSpan.FromSeconds(9));
        var first = await SessionsClient.Ok(client.PostAsync("token/regenerate", phone.Body(("key", login.Key))));
        var firstWeb = await SessionsClient.Ok(client.PostAsync("web/token/regenerate", browser.Body(("expiredToken", webLogin.Token))));
        api.Clock.Advance(TimeSpan.FromSeconds(2));
        var retry = await SessionsClient.Ok(client.PostAsync("token/regenerate", phone.Body(("key", login.Key))));
        var retryWeb = await SessionsClient.Ok(client.PostAsync("web/token/regenerate", browser.Body(("expiredToken", webLogin.Token))));

        // A successor is signed by the key that signed when it was issued, so the retry's copy is the same credential.
        Assert.Equal(first.Key, retry.Key);
        Assert.Equal(firstWeb.Token, retryWeb.Token);
        Assert.Equal(("old+keys", "old"), (Kid(retry.Key!), Kid(retryWeb.Token!)));
        Assert.Equal("new", Kid(retry.Token!));
    }

    [Fact]
    public async Task ADeviceNonceHandedOutBeforeASignFromStillServesAfterIt()
    {
        var start = DateTimeOffset.UtcNow;
        await using var api = Staged(start, signFrom: start.AddSeconds(10), ("Sessions:Brands:ROTATE:DeviceBinding", "Optional"));
        var client = api.CreateSessionsClient();
        using var deviceKey = new DeviceKey(api.Clock);
        var phone = TestDevice.NewMobile("ROTATE");
        var login = await client.LoginAsync(phone, deviceKey);

        api.Clock.Advance(TimeSpan.FromSeconds(20));
        // A phone whose clock is an hour off proves freshness by the server's nonce alone.
        var regenerated = await client.PostWithProofAsync("token/regenerate", phone.Body(("key", login.Key)),
            deviceKey.Proof(client.Url("token/regenerate"), login.DeviceNonce, issuedAt: start.AddHours(-1)));

        Assert.NotNull(login.DeviceNonce);
        Assert.Equal(HttpStatusCode.OK, regenerated.Status);
        Assert.Equal("new", Kid(regenerated.Token!));
    }

    /// <summary>An API whose ROTATE brand lists a new key staged to sign from <paramref name="signFrom"/>, then the old one.</summary>
    private static ApiFactory Staged(DateTimeOffset start, DateTimeOffset signFrom, params (string Key, string Value)[] more)
    {
        var settings = RotatingBrand.Settings(("new", SigningKeyMaterial.NewP256Pem(), signFrom), ("old", SigningKeyMaterial.NewP256Pem(), null));
        foreach (var (key, value) in more)
        {
            settings[key] = value;
        }
        return new ApiFactory(settings: settings, clockStart: start);
    }

    private static string? Kid(string jwt) => Jwt.Header(jwt).GetProperty("kid").GetString();

    private static async Task<string> SigningKeysHealthAsync(SessionsClient client) =>
        JsonDocument.Parse(await client.Http.GetStringAsync("/health/ready")).RootElement
            .GetProperty("checks").GetProperty("signing-keys").GetProperty("description").GetString()!;

    /// <summary>An API on <paramref name="data"/> whose ROTATE brand lists <paramref name="keys"/>, the first signing.</summary>
    private static ApiFactory Rotating(string data, params (string Id, string Pem)[] keys) =>
        new(dataDirectory: data, settings: RotatingBrand.Settings([.. keys.Select(k => (k.Id, k.Pem, (DateTimeOffset?)null))]));
}
