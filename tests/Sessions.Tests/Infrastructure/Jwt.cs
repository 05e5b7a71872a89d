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

    public static string RawHeader(string jwt) => Base64UrlEncoder.Decode(jwt.Split('.')[0]);

    public static string RawPayload(string jwt) => Base64UrlEncoder.Decode(jwt.Split('.')[1]);

    private static JsonElement Part(string jwt, int index) =>
        JsonDocument.Parse(Base64UrlEncoder.Decode(jwt.Split('.')[index])).RootElement.Clone();
}
