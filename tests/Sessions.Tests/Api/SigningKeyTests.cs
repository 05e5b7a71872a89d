using System.Net;
using System.Text.Json;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;
using Sessions.Grains.Configuration;
using Sessions.Tests.Infrastructure;

namespace Sessions.Tests.Api;

/// <summary>
/// ES256 next to HS256 (API.md §4.5): the JWKS publishes the public halves, every listed key verifies, only the first
/// signs, a removed key's tokens and keys fail, and <c>alg</c> must be the one of the key <c>kid</c> names.
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

        var result = await new JsonWebTokenHandler().ValidateTokenAsync(login.Token, new TokenValidationParameters
        {
            IssuerSigningKeys = jwks.GetSigningKeys(),
            ValidIssuer = "SESSIONS",
            ValidateAudience = false,
            ValidAlgorithms = [SecurityAlgorithms.EcdsaSha256],
            LifetimeValidator = (_, _, _, _) => true, // the API's clock is a test clock
        });
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

    /// <summary>An API on <paramref name="data"/> whose ROTATE brand lists <paramref name="keys"/>, the first signing.</summary>
    private static ApiFactory Rotating(string data, params (string Id, string Pem)[] keys)
    {
        var settings = new Dictionary<string, string?>
        {
            ["Sessions:Brands:ROTATE:OrgId"] = "100458",
            ["Sessions:Brands:ROTATE:OrgUser"] = "rotate.solution",
        };
        for (var i = 0; i < keys.Length; i++)
        {
            settings[$"Sessions:Brands:ROTATE:SigningKeys:{i}:Id"] = keys[i].Id;
            settings[$"Sessions:Brands:ROTATE:SigningKeys:{i}:Algorithm"] = "ES256";
            settings[$"Sessions:Brands:ROTATE:SigningKeys:{i}:PrivateKeyPem"] = keys[i].Pem;
        }
        return new ApiFactory(dataDirectory: data, settings: settings);
    }
}
