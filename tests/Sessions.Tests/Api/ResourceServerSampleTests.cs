using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.TestHost;
using Microsoft.IdentityModel.Tokens;
using Sessions.Samples.ResourceServer;
using Sessions.Tests.Infrastructure;

namespace Sessions.Tests.Api;

/// <summary>
/// The resource server of <c>samples/ResourceServer</c> (README "For resource servers") against real tokens of the real
/// service: the standard JwtBearer handler with keys from the brand's JWKS, holding no secret of the brand; and for a
/// device-bound token (API.md §4.7), a DPoP proof by its device key on every call (RFC 9449 §7), bound to the token by
/// <c>ath</c>.
/// </summary>
public sealed class ResourceServerSampleTests
{
    private static readonly Uri Me = new("http://localhost/me");

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

    /// <summary>The sample's server on a test host, with the brand's JWKS as the real service serves it.</summary>
    private static async Task<WebApplication> StartResourceServerAsync(ApiFactory sessions, string brand)
    {
        var jwks = new JsonWebKeySet(await sessions.CreateClient().GetStringAsync($"/auth/v1/brands/{brand}/jwks.json"));
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseTestServer();
        builder.Services.AddSessionsTokens("SESSIONS", jwks);
        var app = builder.Build();
        app.MapResourceServerApi();
        await app.StartAsync();
        return app;
    }

    private static async Task<HttpStatusCode> CallAsync(WebApplication resourceServer, string? scheme, string? token, string? proof = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, Me);
        if (scheme is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue(scheme, token);
        }
        if (proof is not null)
        {
            request.Headers.Add("DPoP", proof);
        }
        using var response = await resourceServer.GetTestClient().SendAsync(request);
        return response.StatusCode;
    }

    /// <summary>RFC 9449 §4.2: the proof names the token it goes with by its SHA-256.</summary>
    private static string Ath(string token) => Base64UrlEncoder.Encode(SHA256.HashData(Encoding.ASCII.GetBytes(token)));
}
