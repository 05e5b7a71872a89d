using System.Text.Json.Nodes;
using Microsoft.IdentityModel.Tokens;
using Sessions.Api.Envelope;
using Sessions.Api.Security;
using Sessions.Api.Tokens;
using Sessions.Grains;
using Microsoft.Extensions.Options;
using Sessions.Grains.Configuration;

namespace Sessions.Api.Endpoints;

/// <summary>
/// <c>GET /auth/v1/brands/{brand}/jwks.json</c> (API.md §4.5): the public halves of a brand's ES256 keys, so that a
/// resource server validates USER tokens with no secret. HS256 keys are secrets and never appear.
/// </summary>
public static class JwksEndpoints
{
    private const string CacheControl = "public, max-age=300";

    public static RouteHandlerBuilder MapJwks(this IEndpointRouteBuilder routes) =>
        routes.MapGet("/auth/v1/brands/{brand}/jwks.json", Jwks).WithName("Jwks").WithTags("Signing keys")
            .RequireRateLimiting(RateLimiting.AuthPolicy)
            .WithSummary("The brand's ES256 public keys as a JSON Web Key Set")
            .Produces(StatusCodes.Status200OK, contentType: "application/json")
            .Produces<ApiEnvelope>(StatusCodes.Status404NotFound);

    public static IResult Jwks(string brand, SigningKeyRing keys, IOptions<SessionsOptions> options, HttpContext context)
    {
        if (options.Value.FindBrand(brand) is null || keys.Find(brand.ToUpperInvariant()) is not { } brandKeys)
        {
            return EnvelopeResult.Fail(StatusCodes.Status404NotFound, AuthError.UnsupportedBrand);
        }

        var set = new JsonArray();
        foreach (var key in brandKeys.Keys)
        {
            if (key.PublicKey is { } publicKey)
            {
                var jwk = JsonWebKeyConverter.ConvertFromECDsaSecurityKey(publicKey);
                set.Add(new JsonObject
                {
                    ["kty"] = jwk.Kty,
                    ["crv"] = jwk.Crv,
                    ["x"] = jwk.X,
                    ["y"] = jwk.Y,
                    ["kid"] = publicKey.KeyId,
                    ["alg"] = SecurityAlgorithms.EcdsaSha256,
                    ["use"] = "sig",
                });
            }
        }
        context.Response.Headers.CacheControl = CacheControl;
        return PlainJson.Result(new JsonObject { ["keys"] = set });
    }
}
