using System.Security.Cryptography;
using System.Text;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace Sessions.Samples.DeviceProof;

/// <summary>
/// What an app does with its device key (API.md §4.7, RFC 9449): a proof for each call that binds or exchanges a key, and
/// the key's thumbprint, which its keys and tokens carry as <c>cnf.jkt</c>. The JWS is the library's
/// (<see cref="JsonWebTokenHandler"/>), the thumbprint too (<see cref="JsonWebKey.ComputeJwkThumbprint"/>).
/// </summary>
public sealed class DeviceProofMaker(ECDsa deviceKey)
{
    private static readonly JsonWebTokenHandler Handler = new() { SetDefaultTimesOnTokenCreation = false };

    private readonly SigningCredentials _signing = new(new ECDsaSecurityKey(deviceKey), SecurityAlgorithms.EcdsaSha256);
    private readonly JsonWebKey _publicJwk = PublicJwk(deviceKey);

    /// <summary>The RFC 7638 thumbprint of the device key, base64url.</summary>
    public string Thumbprint => Base64UrlEncoder.Encode(_publicJwk.ComputeJwkThumbprint());

    /// <summary>
    /// A proof for <paramref name="method"/> <paramref name="url"/>, issued at <paramref name="now"/>, with the server's
    /// last <c>DPoP-Nonce</c> when there is one, and <c>ath</c> when it goes with an access token (to a resource server, or
    /// to an account call of a brand that requires proofs with bound tokens).
    /// </summary>
    public string Create(string method, string url, DateTimeOffset now, string? nonce = null, string? accessToken = null)
    {
        var claims = new Dictionary<string, object>
        {
            ["jti"] = Base64UrlEncoder.Encode(RandomNumberGenerator.GetBytes(16)),
            ["htm"] = method,
            ["htu"] = url,
            ["iat"] = now.ToUnixTimeSeconds(),
        };
        if (nonce is not null)
        {
            claims["nonce"] = nonce;
        }
        if (accessToken is not null)
        {
            claims["ath"] = Base64UrlEncoder.Encode(SHA256.HashData(Encoding.ASCII.GetBytes(accessToken)));
        }
        return Handler.CreateToken(new SecurityTokenDescriptor
        {
            TokenType = "dpop+jwt",
            AdditionalHeaderClaims = new Dictionary<string, object>
            {
                ["jwk"] = new Dictionary<string, object> { ["kty"] = _publicJwk.Kty, ["crv"] = _publicJwk.Crv, ["x"] = _publicJwk.X, ["y"] = _publicJwk.Y },
            },
            Claims = claims,
            SigningCredentials = _signing,
        });
    }

    /// <summary>The public half only: a proof must never carry <c>d</c>.</summary>
    private static JsonWebKey PublicJwk(ECDsa key)
    {
        using var publicKey = ECDsa.Create(key.ExportParameters(includePrivateParameters: false));
        var jwk = JsonWebKeyConverter.ConvertFromECDsaSecurityKey(new ECDsaSecurityKey(publicKey));
        return new JsonWebKey { Kty = jwk.Kty, Crv = jwk.Crv, X = jwk.X, Y = jwk.Y };
    }
}
