using System.Net;
using System.Net.Http.Headers;
using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.IdentityModel.Tokens;
using Sessions.Tests.Infrastructure;

namespace Sessions.Tests.Api;

/// <summary>
/// The resource server of the README: a minimal ASP.NET Core API that validates USER tokens with the standard
/// JwtBearer handler and signing keys from the brand's JWKS, holding no secret of the brand.
/// </summary>
public sealed class ResourceServerSampleTests
{
    [Fact]
    public async Task TheResourceServerAcceptsARealUserTokenAndRefusesAnExpiredOrForeignOne()
    {
        await using var sessions = new ApiFactory();
        var fresh = await LoginAsync(sessions, TestBrands.Signed);
        var foreign = await LoginAsync(sessions, TestBrands.Demo);
        await using var past = new ApiFactory(clockStart: DateTimeOffset.UtcNow.AddHours(-1));
        var expired = await LoginAsync(past, TestBrands.Signed);
        var jwks = await sessions.CreateClient().GetStringAsync("/auth/v1/brands/SIGNED/jwks.json");
        await using var resourceServer = await StartResourceServerAsync(jwks);

        Assert.Equal(HttpStatusCode.OK, await CallAsync(resourceServer, fresh));
        Assert.Equal(HttpStatusCode.Unauthorized, await CallAsync(resourceServer, expired));
        Assert.Equal(HttpStatusCode.Unauthorized, await CallAsync(resourceServer, foreign));
        Assert.Equal(HttpStatusCode.Unauthorized, await CallAsync(resourceServer, null));
    }

    /// <summary>The sample: JwtBearer with the issuer, ES256 only, and the keys of the JWKS (fetched at start).</summary>
    private static async Task<WebApplication> StartResourceServerAsync(string jwksJson)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseTestServer();
        builder.Services.AddAuthentication(JwtBearerDefaults.AuthenticationScheme).AddJwtBearer(options =>
        {
            options.MapInboundClaims = false;
            options.TokenValidationParameters = new TokenValidationParameters
            {
                ValidIssuer = "SESSIONS",
                ValidateAudience = false,
                ValidAlgorithms = [SecurityAlgorithms.EcdsaSha256],
                IssuerSigningKeys = new JsonWebKeySet(jwksJson).GetSigningKeys(),
            };
        });
        builder.Services.AddAuthorization();
        var app = builder.Build();
        app.UseAuthentication();
        app.UseAuthorization();
        app.MapGet("/me", (HttpContext context) => context.User.FindFirst("uid")?.Value).RequireAuthorization();
        await app.StartAsync();
        return app;
    }

    private static async Task<HttpStatusCode> CallAsync(WebApplication resourceServer, string? token)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/me");
        if (token is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        }
        using var response = await resourceServer.GetTestClient().SendAsync(request);
        return response.StatusCode;
    }

    private static async Task<string> LoginAsync(ApiFactory api, string brand)
    {
        var phone = TestDevice.NewMobile(brand);
        return (await api.CreateSessionsClient().LoginAsync(phone)).Token!;
    }
}
