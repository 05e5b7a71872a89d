using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.IdentityModel.Tokens;

namespace Sessions.Tests.Infrastructure;

/// <summary>
/// A phone's device key (P-256, as a Secure Enclave or Keystore key) and the RFC 9449 proofs it makes (API.md §4.7).
/// A proof is assembled here rather than by a JWT library so that tests can make every malformed variant a hostile
/// client would send; <see cref="Proof"/> with no edits is a valid proof.
/// </summary>
public sealed class DeviceKey(TimeProvider clock) : IDisposable
{
    private readonly ECDsa _key = ECDsa.Create(ECCurve.NamedCurves.nistP256);

    /// <summary>The public JWK a proof carries in its header.</summary>
    public JsonObject PublicJwk()
    {
        var parameters = _key.ExportParameters(includePrivateParameters: false);
        return new JsonObject
        {
            ["kty"] = "EC",
            ["crv"] = "P-256",
            ["x"] = Base64UrlEncoder.Encode(parameters.Q.X),
            ["y"] = Base64UrlEncoder.Encode(parameters.Q.Y),
        };
    }

    /// <summary>The JWK with its private member <c>d</c>: what a careless client must never send.</summary>
    public JsonObject PrivateJwk()
    {
        var jwk = PublicJwk();
        jwk["d"] = Base64UrlEncoder.Encode(_key.ExportParameters(includePrivateParameters: true).D);
        return jwk;
    }

    /// <summary>The key's RFC 7638 thumbprint, by the library: what <c>cnf.jkt</c> must say.</summary>
    public string Thumbprint
    {
        get
        {
            var jwk = PublicJwk();
            return Base64UrlEncoder.Encode(new JsonWebKey { Kty = "EC", Crv = "P-256", X = (string)jwk["x"]!, Y = (string)jwk["y"]! }.ComputeJwkThumbprint());
        }
    }

    /// <summary>
    /// A proof for <paramref name="method"/> <paramref name="url"/>, issued now by <see cref="TimeProvider"/> unless
    /// <paramref name="issuedAt"/> says otherwise, with a fresh <c>jti</c> unless one is given, naming
    /// <paramref name="accessToken"/> (<c>ath</c>) when one is given; the edits run last.
    /// </summary>
    public string Proof(Uri url, string? nonce = null, DateTimeOffset? issuedAt = null, string? jti = null, string method = "POST",
        Action<JsonObject>? header = null, Action<JsonObject>? payload = null, string? accessToken = null)
    {
        var headerJson = new JsonObject { ["typ"] = "dpop+jwt", ["alg"] = "ES256", ["jwk"] = PublicJwk() };
        var payloadJson = new JsonObject
        {
            ["jti"] = jti ?? Guid.NewGuid().ToString("N"),
            ["htm"] = method,
            ["htu"] = url.GetLeftPart(UriPartial.Path),
            ["iat"] = (issuedAt ?? clock.GetUtcNow()).ToUnixTimeSeconds(),
        };
        if (nonce is not null)
        {
            payloadJson["nonce"] = nonce;
        }
        if (accessToken is not null)
        {
            payloadJson["ath"] = TokenHash(accessToken);
        }
        header?.Invoke(headerJson);
        payload?.Invoke(payloadJson);
        var signingInput = Encode(headerJson) + "." + Encode(payloadJson);
        return signingInput + "." + Base64UrlEncoder.Encode(Sign(signingInput));
    }

    /// <summary>What a proof's <c>ath</c> says of a token (RFC 9449 §4.2): its SHA-256, base64url.</summary>
    public static string TokenHash(string accessToken) => Base64UrlEncoder.Encode(SHA256.HashData(Encoding.ASCII.GetBytes(accessToken)));

    /// <summary>The ES256 signature (r‖s) of this key over <paramref name="signingInput"/>.</summary>
    public byte[] Sign(string signingInput) => _key.SignData(Encoding.ASCII.GetBytes(signingInput), HashAlgorithmName.SHA256);

    public void Dispose() => _key.Dispose();

    private static string Encode(JsonObject json) => Base64UrlEncoder.Encode(Encoding.UTF8.GetBytes(json.ToJsonString()));
}
