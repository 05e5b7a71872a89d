using Sessions.Tests.Infrastructure;

namespace Sessions.Tests.Api;

public sealed class RestartTests
{
    [Fact]
    public async Task AKeyIssuedBeforeARestartStillRegenerates()
    {
        var dataDirectory = TempDirectory.Create("restart");
        var device = TestDevice.NewMobile();
        string key;
        await using (var before = new ApiFactory(dataDirectory))
        {
            var mfa = await before.CreateSessionsClient().MfaLoginAsync(device, device);
            key = mfa.Key!;
        }

        await using var after = new ApiFactory(dataDirectory);
        var client = after.CreateSessionsClient();
        var regenerated = await SessionsClient.Ok(client.PostAsync("mfa/token/regenerate", device.Body(("key", key))));
        var replayAfterGrace = await client.PostAsync("mfa/token/regenerate", device.Body(("key", key)));

        Assert.NotEqual(key, regenerated.Key);
        Assert.True(replayAfterGrace.Success, "the retry grace survives a restart too");
        Assert.Equal(regenerated.Key, replayAfterGrace.Key);
    }

    [Fact]
    public async Task AnHs256DevelopmentKeyFromAnOlderDataDirectoryStillVerifiesBesideTheGeneratedEs256Key()
    {
        var dataDirectory = TempDirectory.Create("legacy-key");
        var legacySecret = Convert.ToBase64String(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32));
        await File.WriteAllTextAsync(Path.Combine(dataDirectory, "development-secrets.json"),
            System.Text.Json.JsonSerializer.Serialize(new Dictionary<string, string> { ["signing-key:KEYLESS"] = legacySecret }));
        await using var api = new ApiFactory(dataDirectory, new() { ["Sessions:Brands:KEYLESS:OrgId"] = "1", ["Sessions:Brands:KEYLESS:OrgUser"] = "keyless" });
        var client = api.CreateSessionsClient();
        var device = TestDevice.NewMobile("KEYLESS");
        var login = await client.LoginAsync(device);
        var header = Jwt.RawHeader(login.Token!).Replace("\"ES256\"", "\"HS256\"", StringComparison.Ordinal).Replace("keyless-dev-es256", "keyless-dev", StringComparison.Ordinal);

        var legacy = await client.PostAsync("mfa/token/expire", device.Body(("token", Jwt.Sign(header, Jwt.RawPayload(login.Token!), legacySecret))));
        var forged = await client.PostAsync("mfa/token/expire", device.Body(("token", Jwt.Sign(header, Jwt.RawPayload(login.Token!), TestBrands.ForeignSecret))));
        var jwks = System.Text.Json.JsonDocument.Parse(await client.Http.GetStringAsync("/auth/v1/brands/KEYLESS/jwks.json")).RootElement;

        Assert.Equal("ES256", Jwt.Header(login.Token!).GetProperty("alg").GetString());
        Assert.Equal(1531, legacy.Code); // verified; only the family is not an MFA one
        Assert.Equal(1596, forged.Code);
        Assert.Equal("keyless-dev-es256", Assert.Single(jwks.GetProperty("keys").EnumerateArray()).GetProperty("kid").GetString());
    }
}
