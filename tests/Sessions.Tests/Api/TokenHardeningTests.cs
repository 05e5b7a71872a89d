using System.Net;
using System.Text.Json.Nodes;
using Sessions.Tests.Infrastructure;

namespace Sessions.Tests.Api;

[Collection(ApiCollection.Name)]
public sealed class TokenHardeningTests(ApiFixture fixture)
{
    private SessionsClient Client => fixture.Client;

    public static TheoryData<string> Forgeries() => ["alg-none", "alg-hs512", "unknown-kid", "path-kid", "foreign-secret", "tampered-payload", "garbage", "unknown-org", "foreign-issuer", "truncated-signature", "spaced-signature"];

    [Theory]
    [MemberData(nameof(Forgeries))]
    public async Task ForgedTokensAreNotValidAndForgedKeysAreNotKeys(string forgery)
    {
        var device = TestDevice.NewMobile();
        var mfa = await Client.MfaLoginAsync(device, device);

        var token = await Client.PostAsync("mfa/token/expire", device.Body(("token", Forge(mfa.Token!, forgery))));
        var key = await Client.PostAsync("mfa/token/regenerate", device.Body(("key", Forge(mfa.Key!, forgery))));
        var genuine = await Client.PostAsync("mfa/token/regenerate", device.Body(("key", mfa.Key)));

        Assert.Equal((HttpStatusCode.Unauthorized, 1596), (token.Status, token.Code));
        Assert.Equal((HttpStatusCode.Unauthorized, 1597), (key.Status, key.Code));
        Assert.True(genuine.Success);
    }

    [Fact]
    public async Task EveryConfiguredKeyVerifiesButOnlyTheFirstSigns()
    {
        var device = TestDevice.NewMobile();
        var login = await Client.LoginAsync(device);
        var header = JsonNode.Parse(Jwt.RawHeader(login.Key!))!;
        header["kid"] = "demo-1";

        var resigned = Jwt.Sign(header.ToJsonString(), Jwt.RawPayload(login.Key!), TestBrands.SigningSecrets[TestBrands.Demo]);
        var response = await Client.PostAsync("token/regenerate", device.Body(("key", resigned)));

        Assert.True(response.Success);
        Assert.Equal("demo-1", Jwt.Header(response.Key!).GetProperty("kid").GetString());
    }

    // What the service reads from a key, each with a JSON type it never writes there: a device or identifiers of the
    // wrong type are not the request's (1508, 1507); anything else leaves no key (1597).
    public static TheoryData<string, string, int> ClaimsOfTheWrongType() => new()
    {
        { "header", """{"org":["DEMO"]}""", 1597 },
        { "header", """{"org":null}""", 1597 },
        { "header", """{"dev":{"id":"phone"}}""", 1508 },
        { "header", """{"dev":42}""", 1508 },
        { "header", """{"idv":"MOBILE|18765550101"}""", 1507 },
        { "payload", """{"rol":["AUTH"]}""", 1597 },
        { "payload", """{"rol":7}""", 1597 },
        { "payload", """{"sid":true}""", 1597 },
        { "payload", """{"sid":null}""", 1597 },
        { "payload", """{"jti":{"id":"x"}}""", 1597 },
    };

    // Signed with the brand's own secret, so only the reading of the claims stands between them and a grain call.
    [Theory]
    [MemberData(nameof(ClaimsOfTheWrongType))]
    public async Task AGenuinelySignedKeyWhoseClaimsHaveTheWrongTypesIsRefusedInTheEnvelope(string part, string claim, int code)
    {
        var device = TestDevice.NewMobile();
        var login = await Client.LoginAsync(device);
        var header = JsonNode.Parse(Jwt.RawHeader(login.Key!))!.AsObject();
        var payload = JsonNode.Parse(Jwt.RawPayload(login.Key!))!.AsObject();
        foreach (var (name, value) in JsonNode.Parse(claim)!.AsObject())
        {
            (part == "header" ? header : payload)[name] = value?.DeepClone();
        }

        var forged = await Client.PostAsync("token/regenerate", device.Body(("key", Jwt.Sign(header.ToJsonString(), payload.ToJsonString(), TestBrands.SigningSecrets[TestBrands.Demo]))));
        var genuine = await Client.PostAsync("token/regenerate", device.Body(("key", login.Key)));

        Assert.Equal((HttpStatusCode.Unauthorized, code), (forged.Status, forged.Code));
        Assert.True(genuine.Success);
    }

    private static string Forge(string jwt, string forgery)
    {
        var header = JsonNode.Parse(Jwt.RawHeader(jwt))!;
        var payload = JsonNode.Parse(Jwt.RawPayload(jwt))!;
        var secret = TestBrands.SigningSecrets[TestBrands.Demo];
        switch (forgery)
        {
            case "alg-none":
                header["alg"] = "none";
                return $"{Microsoft.IdentityModel.Tokens.Base64UrlEncoder.Encode(header.ToJsonString())}.{Microsoft.IdentityModel.Tokens.Base64UrlEncoder.Encode(payload.ToJsonString())}.";
            case "alg-hs512":
                header["alg"] = "HS512";
                break;
            case "unknown-kid":
                header["kid"] = "not-a-key";
                break;
            case "path-kid":
                header["kid"] = "../../dev/null";
                break;
            case "foreign-secret":
                secret = TestBrands.ForeignSecret;
                break;
            case "tampered-payload":
                payload["uid"] = "someone-else";
                return $"{jwt.Split('.')[0]}.{Microsoft.IdentityModel.Tokens.Base64UrlEncoder.Encode(payload.ToJsonString())}.{jwt.Split('.')[2]}";
            case "unknown-org":
                header["org"] = "NOWHERE";
                break;
            case "foreign-issuer":
                // Signed with the brand's own key: only the issuer check refuses it.
                payload["iss"] = "SOMEONE-ELSE";
                break;
            case "truncated-signature":
                // The genuine signature less its last two bytes: a verifier that checks only a prefix accepts it.
                var signature = Microsoft.IdentityModel.Tokens.Base64UrlEncoder.DecodeBytes(jwt.Split('.')[2]);
                return $"{jwt[..jwt.LastIndexOf('.')]}.{Microsoft.IdentityModel.Tokens.Base64UrlEncoder.Encode(signature[..^2])}";
            case "spaced-signature":
                // The genuine signature with a space in it: a base64 decoder skips white space, a JWS has none.
                var dot = jwt.LastIndexOf('.');
                return $"{jwt[..(dot + 3)]} {jwt[(dot + 3)..]}";
            default:
                return "not.a.jwt";
        }
        return Jwt.Sign(header.ToJsonString(), payload.ToJsonString(), secret);
    }
}
