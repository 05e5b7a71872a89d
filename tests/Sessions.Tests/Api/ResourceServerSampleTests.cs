using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.IdentityModel.Tokens;
using Sessions.Grains.Configuration;
using Sessions.ResourceServer;
using Sessions.ResourceServer.Redis;
using Sessions.Samples.ResourceServer;
using Sessions.Tests.Infrastructure;
using static Sessions.Tests.Infrastructure.TestResourceServer;

namespace Sessions.Tests.Api;

/// <summary>
/// The resource server of <c>samples/ResourceServer</c> (README "For resource servers") against real tokens of the real
/// service: the standard JwtBearer handler with keys from the brand's JWKS, holding no secret of the brand; and for a
/// device-bound token (API.md §4.7), a DPoP proof by its device key on every call (RFC 9449 §7), bound to the token by
/// <c>ath</c>. The JWKS is fetched when first needed and again when a token names a new key. Several processes of one
/// resource server share the proofs they accepted through <c>Sessions.ResourceServer.Redis</c>, on a real store process.
/// </summary>
public sealed class ResourceServerSampleTests
{
    [Fact]
    public async Task TheResourceServerAcceptsARealUserTokenAndRefusesAnExpiredOrForeignOne()
    {
        await using var sessions = new ApiFactory();
        var fresh = (await sessions.CreateSessionsClient().LoginAsync(TestDevice.NewMobile(TestBrands.Signed))).Token!;
        var foreign = (await sessions.CreateSessionsClient().LoginAsync(TestDevice.NewMobile(TestBrands.Demo))).Token!;
        await using var past = new ApiFactory(clockStart: DateTimeOffset.UtcNow.AddHours(-1));
        var expired = (await past.CreateSessionsClient().LoginAsync(TestDevice.NewMobile(TestBrands.Signed))).Token!;
        await using var resourceServer = await StartResourceServerAsync(sessions, TestBrands.Signed);

        Assert.Equal(HttpStatusCode.OK, await CallAsync(resourceServer, "Bearer", fresh));
        Assert.Equal(HttpStatusCode.Unauthorized, await CallAsync(resourceServer, "Bearer", expired));
        Assert.Equal(HttpStatusCode.Unauthorized, await CallAsync(resourceServer, "Bearer", foreign));
        Assert.Equal(HttpStatusCode.Unauthorized, await CallAsync(resourceServer, null, null));
        // A bearer token is not made bound by calling it so.
        Assert.Equal(HttpStatusCode.Unauthorized, await CallAsync(resourceServer, "DPoP", fresh));
    }

    [Fact]
    public async Task ADeviceBoundTokenWorksOnlyWithAFreshProofByItsDeviceKeyForThisTokenAndCall()
    {
        await using var sessions = new ApiFactory();
        using var deviceKey = new DeviceKey(TimeProvider.System);
        using var thiefsKey = new DeviceKey(TimeProvider.System);
        var token = (await sessions.CreateSessionsClient().LoginAsync(TestDevice.NewMobile(TestBrands.Bound), deviceKey)).Token!;
        var otherToken = (await sessions.CreateSessionsClient().LoginAsync(TestDevice.NewMobile(TestBrands.Bound), deviceKey)).Token!;
        await using var resourceServer = await StartResourceServerAsync(sessions, TestBrands.Bound);
        var proof = deviceKey.Proof(Me, method: "GET", payload: p => p["ath"] = Ath(token));

        Assert.Equal(HttpStatusCode.OK, await CallAsync(resourceServer, "DPoP", token, proof));
        Assert.Equal(HttpStatusCode.Unauthorized, await CallAsync(resourceServer, "DPoP", token, proof));
        Assert.Equal(HttpStatusCode.Unauthorized, await CallAsync(resourceServer, "Bearer", token));
        Assert.Equal(HttpStatusCode.Unauthorized, await CallAsync(resourceServer, "DPoP", token));
        Assert.Equal(HttpStatusCode.Unauthorized, await CallAsync(resourceServer, "DPoP", token,
            thiefsKey.Proof(Me, method: "GET", payload: p => p["ath"] = Ath(token))));
        Assert.Equal(HttpStatusCode.Unauthorized, await CallAsync(resourceServer, "DPoP", token,
            deviceKey.Proof(Me, method: "GET", payload: p => p["ath"] = Ath(otherToken))));
        Assert.Equal(HttpStatusCode.Unauthorized, await CallAsync(resourceServer, "DPoP", token, deviceKey.Proof(Me, method: "GET")));
        Assert.Equal(HttpStatusCode.Unauthorized, await CallAsync(resourceServer, "DPoP", token,
            deviceKey.Proof(new Uri("http://localhost/admin"), method: "GET", payload: p => p["ath"] = Ath(token))));
        Assert.Equal(HttpStatusCode.Unauthorized, await CallAsync(resourceServer, "DPoP", token,
            deviceKey.Proof(Me, method: "GET", issuedAt: DateTimeOffset.UtcNow.AddMinutes(-5), payload: p => p["ath"] = Ath(token))));
        Assert.Equal(HttpStatusCode.OK, await CallAsync(resourceServer, "DPoP", token,
            deviceKey.Proof(Me, method: "GET", payload: p => p["ath"] = Ath(token))));
    }

    [Fact]
    public async Task AResourceServerStartedBeforeTheServiceTrustsItsTokensOnceTheServiceIsUp()
    {
        var route = new RouteToSessions();
        await using var resourceServer = await StartResourceServerAsync(route, TestBrands.Signed);
        await using var sessions = new ApiFactory();
        var token = (await sessions.CreateSessionsClient().LoginAsync(TestDevice.NewMobile(TestBrands.Signed))).Token!;

        var whileDown = await CallAsync(resourceServer, "Bearer", token);
        route.Target = sessions.Server.CreateHandler();

        Assert.Equal(HttpStatusCode.Unauthorized, whileDown);
        await Eventually.HoldsAsync(async () => await CallAsync(resourceServer, "Bearer", token) == HttpStatusCode.OK,
            TimeSpan.FromSeconds(15), "the token accepted once the service is up");
    }

    [Fact]
    public async Task AResourceServerTrustsANewSigningKeyWithoutARestartAndForgedKeyIdsDoNotMakeItFloodTheService()
    {
        var (oldKey, newKey) = (SigningKeyMaterial.NewP256Pem(), SigningKeyMaterial.NewP256Pem());
        await using var before = new ApiFactory(settings: RotatingBrand.Settings(("old", oldKey, null)));
        await using var after = new ApiFactory(settings: RotatingBrand.Settings(("new", newKey, null), ("old", oldKey, null)));
        var route = new RouteToSessions { Target = before.Server.CreateHandler() };
        await using var resourceServer = await StartResourceServerAsync(route, RotatingBrand.Name);
        var oldToken = (await before.CreateSessionsClient().LoginAsync(TestDevice.NewMobile(RotatingBrand.Name))).Token!;
        var beforeTheRoll = await CallAsync(resourceServer, "Bearer", oldToken);

        // The service rolls out with the new key first, not staged: the worst case for resource servers.
        route.Target = after.Server.CreateHandler();
        var newToken = (await after.CreateSessionsClient().LoginAsync(TestDevice.NewMobile(RotatingBrand.Name))).Token!;
        await Eventually.HoldsAsync(async () => await CallAsync(resourceServer, "Bearer", newToken) == HttpStatusCode.OK,
            TimeSpan.FromSeconds(15), "a token of the new key accepted");
        var withTheOldKey = await CallAsync(resourceServer, "Bearer", oldToken);
        var fetches = route.Requests;
        var forged = new List<HttpStatusCode>();
        for (var i = 0; i < 20; i++)
        {
            forged.Add(await CallAsync(resourceServer, "Bearer", SignedByAStranger(newToken, $"forged-{i}")));
        }

        Assert.Equal(HttpStatusCode.OK, beforeTheRoll);
        Assert.Equal("new", Jwt.Header(newToken).GetProperty("kid").GetString());
        Assert.Equal(HttpStatusCode.OK, withTheOldKey);
        Assert.All(forged, status => Assert.Equal(HttpStatusCode.Unauthorized, status));
        Assert.InRange(route.Requests - fetches, 0, 1);
    }

    [Fact]
    public async Task AProofCopiedToAnotherProcessOfTheResourceServerIsRefusedThereWhenTheyShareTheReplayCache()
    {
        await using var store = await StartStoreAsync();
        await using var sessions = new ApiFactory();
        using var deviceKey = new DeviceKey(TimeProvider.System);
        var token = (await sessions.CreateSessionsClient().LoginAsync(TestDevice.NewMobile(TestBrands.Bound), deviceKey)).Token!;
        await using var first = await StartResourceServerAsync(sessions, TestBrands.Bound, SharedReplayCache(store));
        await using var second = await StartResourceServerAsync(sessions, TestBrands.Bound, SharedReplayCache(store));
        var proof = deviceKey.Proof(Me, method: "GET", accessToken: token);

        var atTheFirst = await CallAsync(first, "DPoP", token, proof);
        var copiedToTheSecond = await CallAsync(second, "DPoP", token, proof);
        var copiedBackToTheFirst = await CallAsync(first, "DPoP", token, proof);
        var aFreshProofAtTheSecond = await CallAsync(second, "DPoP", token, deviceKey.Proof(Me, method: "GET", accessToken: token));

        Assert.Equal(HttpStatusCode.OK, atTheFirst);
        Assert.Equal(HttpStatusCode.Unauthorized, copiedToTheSecond);
        Assert.Equal(HttpStatusCode.Unauthorized, copiedBackToTheFirst);
        Assert.Equal(HttpStatusCode.OK, aFreshProofAtTheSecond);
    }

    [Fact]
    public async Task RacingCopiesOfOneProofAtSeveralProcessesPassOnce()
    {
        await using var store = await StartStoreAsync();
        await using var sessions = new ApiFactory();
        using var deviceKey = new DeviceKey(TimeProvider.System);
        var token = (await sessions.CreateSessionsClient().LoginAsync(TestDevice.NewMobile(TestBrands.Bound), deviceKey)).Token!;
        WebApplication[] processes =
        [
            await StartResourceServerAsync(sessions, TestBrands.Bound, SharedReplayCache(store)),
            await StartResourceServerAsync(sessions, TestBrands.Bound, SharedReplayCache(store)),
            await StartResourceServerAsync(sessions, TestBrands.Bound, SharedReplayCache(store)),
        ];
        try
        {
            var proof = deviceKey.Proof(Me, method: "GET", accessToken: token);

            var answers = await Task.WhenAll(Enumerable.Range(0, 30).Select(copy => CallAsync(processes[copy % processes.Length], "DPoP", token, proof)));

            Assert.Single(answers, status => status == HttpStatusCode.OK);
            Assert.All(answers.Where(status => status != HttpStatusCode.OK), status => Assert.Equal(HttpStatusCode.Unauthorized, status));
        }
        finally
        {
            foreach (var process in processes)
            {
                await process.DisposeAsync();
            }
        }
    }

    [Fact]
    public async Task WhileTheSharedReplayCacheIsDownBoundCallsGet503AndAProofAcceptedBeforeTheCrashIsRefusedAfterIt()
    {
        await using var store = await StartStoreAsync();
        await using var sessions = new ApiFactory();
        using var deviceKey = new DeviceKey(TimeProvider.System);
        var boundToken = (await sessions.CreateSessionsClient().LoginAsync(TestDevice.NewMobile(TestBrands.Bound), deviceKey)).Token!;
        var bearerToken = (await sessions.CreateSessionsClient().LoginAsync(TestDevice.NewMobile(TestBrands.Bound))).Token!;
        await using var resourceServer = await StartResourceServerAsync(sessions, TestBrands.Bound, SharedReplayCache(store));
        var acceptedBeforeTheCrash = deviceKey.Proof(Me, method: "GET", accessToken: boundToken);
        var proofMadeAt = DateTimeOffset.UtcNow;
        var beforeTheCrash = await CallAsync(resourceServer, "DPoP", boundToken, acceptedBeforeTheCrash);

        await store.KillAsync();
        using var whileDown = await SendAsync(resourceServer, "DPoP", boundToken, deviceKey.Proof(Me, method: "GET", accessToken: boundToken));
        var bearerWhileDown = await CallAsync(resourceServer, "Bearer", bearerToken);
        await store.StartAsync();
        await Eventually.HoldsAsync(async () => await CallAsync(resourceServer, "DPoP", boundToken,
            deviceKey.Proof(Me, method: "GET", accessToken: boundToken)) == HttpStatusCode.OK, TimeSpan.FromSeconds(30), "bound calls accepted again");
        var replayedAfterTheRestart = await CallAsync(resourceServer, "DPoP", boundToken, acceptedBeforeTheCrash);

        Assert.Equal(HttpStatusCode.OK, beforeTheCrash);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, whileDown.StatusCode);
        Assert.Equal(TimeSpan.FromSeconds(1), whileDown.Headers.RetryAfter?.Delta);
        Assert.Equal(HttpStatusCode.OK, bearerWhileDown);
        // Still within the proof's minute, so only the store's memory of it can refuse it.
        Assert.True(DateTimeOffset.UtcNow - proofMadeAt < DeviceProofValidator.Window, "the replay came after the proof's minute");
        Assert.Equal(HttpStatusCode.Unauthorized, replayedAfterTheRestart);
    }

    [Theory]
    [InlineData("")]
    [InlineData("redis:6379,unheardOfOption=1")]
    public void AReplayCacheWithABadConfigurationIsRefusedAtStartUp(string configuration)
    {
        Assert.ThrowsAny<ArgumentException>(() => new ServiceCollection().AddRedisDeviceProofReplayCache(configuration));
    }

    [Theory]
    [InlineData("http://sessions.example/auth/v1/brands/DEMO/jwks.json")]
    [InlineData("/auth/v1/brands/DEMO/jwks.json")]
    public void KeysFromAnotherMachineInClearAreRefusedAtStartUp(string jwks)
    {
        var refused = Assert.Throws<ArgumentException>(() => new ServiceCollection().AddSessionsTokens("SESSIONS", new Uri(jwks, UriKind.RelativeOrAbsolute)));

        Assert.Equal("jwksUri", refused.ParamName);
        Assert.Contains("https", refused.Message, StringComparison.Ordinal);
    }

    private static Action<IServiceCollection> SharedReplayCache(StoreProcess store) =>
        services => services.AddRedisDeviceProofReplayCache(store.ConnectionString);

    /// <summary>A store process of its own (redis-server or the embedded Garnet), which a test may kill and start again.</summary>
    private static async Task<StoreProcess> StartStoreAsync()
    {
        var store = new StoreProcess();
        await store.StartAsync();
        return store;
    }

    /// <summary>The token's claims under a key id the service never published, signed by a key of the attacker's.</summary>
    private static string SignedByAStranger(string token, string keyId)
    {
        using var strangersKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        return new Microsoft.IdentityModel.JsonWebTokens.JsonWebTokenHandler().CreateToken(Jwt.RawPayload(token),
            new SigningCredentials(new ECDsaSecurityKey(strangersKey) { KeyId = keyId }, SecurityAlgorithms.EcdsaSha256));
    }

    /// <summary>RFC 9449 §4.2: the proof names the token it goes with by its SHA-256.</summary>
    private static string Ath(string token) => Base64UrlEncoder.Encode(SHA256.HashData(Encoding.ASCII.GetBytes(token)));
}
