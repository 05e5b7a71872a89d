using System.Text;
using System.Text.Json;
using Microsoft.IdentityModel.Tokens;

namespace Sessions.Tests.Infrastructure;

/// <summary>Reads and forges compact JWTs the way an attacker or a curious client would.</summary>
public static class Jwt
{
    public static JsonElement Header(string jwt) => Part(jwt, 0);

    public static JsonElement Payload(string jwt) => Part(jwt, 1);

    /// <summary>Re-signs header + payload (HS256) with <paramref name="base64Secret"/>.</summary>
    public static string Sign(string headerJson, string payloadJson, string base64Secret)
    {
        var signingInput = $"{Base64UrlEncoder.Encode(headerJson)}.{Base64UrlEncoder.Encode(payloadJson)}";
        var signature = System.Security.Cryptography.HMACSHA256.HashData(Convert.FromBase64String(base64Secret), Encoding.ASCII.GetBytes(signingInput));
        return $"{signingInput}.{Base64UrlEncoder.Encode(signature)}";
    }

    /// <summary>
    /// Validates <paramref name="token"/> as a resource server would, with nothing but the brand's JWKS; its lifetime is
    /// not checked, as the API's clock is a test clock.
    /// </summary>
    public static Task<TokenValidationResult> ValidateWithJwksAsync(string token, JsonWebKeySet jwks) =>
        new Microsoft.IdentityModel.JsonWebTokens.JsonWebTokenHandler().ValidateTokenAsync(token, new TokenValidationParameters
        {
            IssuerSigningKeys = jwks.GetSigningKeys(),
            ValidIssuer = "SESSIONS",
            ValidateAudience = false,
            ValidAlgorithms = [SecurityAlgorithms.EcdsaSha256],
            LifetimeValidator = (_, _, _, _) => true,
        });

    public static string RawHeader(string jwt) => Base64UrlEncoder.Decode(jwt.Split('.')[0]);

    public static string RawPayload(string jwt) => Base64UrlEncoder.Decode(jwt.Split('.')[1]);

    private static JsonElement Part(string jwt, int index) =>
        JsonDocument.Parse(Base64UrlEncoder.Decode(jwt.Split('.')[index])).RootElement.Clone();
}
