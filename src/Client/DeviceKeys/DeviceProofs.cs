using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.IdentityModel.Tokens;

namespace Sessions.Client.DeviceKeys;

/// <summary>RFC 9449 proofs by a device key: one per request, never reused (API.md §4.7).</summary>
internal static class DeviceProofs
{
    public static async ValueTask<string> CreateAsync(IDeviceKey key, HttpMethod method, Uri url, DateTimeOffset serverNow,
        string? nonce, string? accessToken, CancellationToken cancellationToken)
    {
        var header = Json(json =>
        {
            json.WriteString("typ", "dpop+jwt");
            json.WriteString("alg", "ES256");
            json.WriteStartObject("jwk");
            json.WriteString("kty", "EC");
            json.WriteString("crv", "P-256");
            json.WriteString("x", Base64Url.EncodeToString(key.PublicX.Span));
            json.WriteString("y", Base64Url.EncodeToString(key.PublicY.Span));
            json.WriteEndObject();
        });
        var payload = Json(json =>
        {
            json.WriteString("jti", Base64Url.EncodeToString(RandomNumberGenerator.GetBytes(16)));
            json.WriteString("htm", method.Method);
            json.WriteString("htu", url.GetLeftPart(UriPartial.Path));
            json.WriteNumber("iat", serverNow.ToUnixTimeSeconds());
            if (nonce is not null)
            {
                json.WriteString("nonce", nonce);
            }
            if (accessToken is not null)
            {
                json.WriteString("ath", Base64Url.EncodeToString(SHA256.HashData(Encoding.ASCII.GetBytes(accessToken))));
            }
        });
        var signed = $"{Base64Url.EncodeToString(header)}.{Base64Url.EncodeToString(payload)}";
        var signature = await key.SignAsync(Encoding.ASCII.GetBytes(signed), cancellationToken).ConfigureAwait(false);
        return $"{signed}.{Base64Url.EncodeToString(signature)}";
    }

    /// <summary>The key's RFC 7638 thumbprint, which a bound family's keys and tokens carry as <c>cnf.jkt</c>.</summary>
    public static string Thumbprint(IDeviceKey key) =>
        Base64UrlEncoder.Encode(new JsonWebKey
        {
            Kty = "EC",
            Crv = "P-256",
            X = Base64Url.EncodeToString(key.PublicX.Span),
            Y = Base64Url.EncodeToString(key.PublicY.Span),
        }.ComputeJwkThumbprint());

    private static byte[] Json(Action<Utf8JsonWriter> members)
    {
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            members(json);
            json.WriteEndObject();
        }
        return buffer.ToArray();
    }
}
