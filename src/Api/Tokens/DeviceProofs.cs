using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;
using Sessions.Grains;
using Sessions.Grains.Configuration;
using Sessions.Grains.Contracts;

namespace Sessions.Api.Tokens;

/// <summary>What the <c>DPoP</c> header of a request came to: no proof, a proof for its family's grain to judge, or a refusal (1560, 1563).</summary>
public readonly record struct DeviceProofCheck(DeviceProof? Proof, AuthError Error)
{
    public static readonly DeviceProofCheck None = new(null, AuthError.None);
}

/// <summary>
/// Checks RFC 9449 proofs (API.md §4.7) with no state: one <c>DPoP</c> header, a compact JWS typed <c>dpop+jwt</c>,
/// <c>ES256</c> with a public P-256 <c>jwk</c> in its header, <c>htm</c> and <c>htu</c> of this request, and fresh:
/// <c>iat</c> within the brand's window of the server's clock, or a server nonce (<see cref="DeviceNonces"/>). The
/// signature is left to the family's grain, which keeps the family's device key imported for its activation, so a
/// proof costs one thumbprint here and one ES256 verification there; what else a family makes of it (bound, the same
/// key, seen before) is the grain's to decide too.
/// </summary>
public sealed class DeviceProofs(IOptions<SessionsOptions> options, DeviceNonces nonces, [FromKeyedServices(ServiceKeys.Clock)] TimeProvider clock)
{
    public const string Header = "DPoP";
    private const int MaxProofLength = 4096;
    private const int MaxProofIdLength = 128;
    private const int CoordinateLength = 32;

    private readonly Uri? _publicBaseUrl = options.Value.PublicBaseUrl is { Length: > 0 } url ? new Uri(url) : null;

    /// <summary>
    /// Checks the request's proof for <paramref name="brand"/>; no header is no proof (whether one is needed, the grain
    /// decides). With <paramref name="accessToken"/>, the token the proof comes with, the proof must name it (<c>ath</c>).
    /// </summary>
    public DeviceProofCheck Check(HttpRequest request, string brand, BrandOptions brandOptions, string? accessToken = null)
    {
        var headers = request.Headers[Header];
        if (headers.Count == 0)
        {
            return DeviceProofCheck.None;
        }
        if (headers.Count > 1 || headers[0] is not { Length: > 0 and <= MaxProofLength } compact)
        {
            return Invalid;
        }
        try
        {
            return Read(compact, request, brand, brandOptions, accessToken);
        }
        catch (Exception e) when (e is ArgumentException or FormatException or JsonException or InvalidOperationException)
        {
            return Invalid;
        }
    }

    private DeviceProofCheck Read(string compact, HttpRequest request, string brand, BrandOptions brandOptions, string? accessToken)
    {
        var proof = CompactJwt.Read(compact);
        // typ is a media type, compared without regard to case (RFC 7515 §4.1.9); alg is exact.
        if (!string.Equals(proof.Typ, "dpop+jwt", StringComparison.OrdinalIgnoreCase) || proof.Alg != SecurityAlgorithms.EcdsaSha256
            || !proof.TryGetHeaderValue<JsonElement>("jwk", out var jwk) || PublicKey(jwk) is not var (x, y)
            || Signature(compact) is not { } signature
            || !proof.TryGetPayloadValue<string>("jti", out var jti) || jti is not { Length: > 0 and <= MaxProofIdLength }
            || !proof.TryGetPayloadValue<string>("htm", out var htm) || !string.Equals(htm, request.Method, StringComparison.Ordinal)
            || !proof.TryGetPayloadValue<string>("htu", out var htu) || !IsThisRequest(htu, request)
            || !proof.TryGetPayloadValue<long>("iat", out var iat)
            || accessToken is not null && !NamesToken(proof, accessToken))
        {
            return Invalid;
        }

        // Fresh: by a nonce this service handed out (whatever iat says), else by iat within the window.
        var now = clock.GetUtcNow();
        DateTimeOffset freshUntil;
        if (proof.TryGetPayloadValue<string>("nonce", out var nonce) && nonce is not null)
        {
            if (nonces.IssuedAt(brand, nonce) is not { } issued || now - issued > TimeSpan.FromSeconds(brandOptions.DeviceNonceSeconds))
            {
                return new DeviceProofCheck(null, AuthError.DeviceProofNonceRequired);
            }
            freshUntil = issued.AddSeconds(brandOptions.DeviceNonceSeconds);
        }
        else
        {
            var window = TimeSpan.FromSeconds(brandOptions.DeviceProofWindowSeconds);
            var issuedAt = DateTimeOffset.FromUnixTimeSeconds(Math.Clamp(iat, 0, DateTimeOffset.MaxValue.ToUnixTimeSeconds()));
            if ((now - issuedAt).Duration() > window)
            {
                return new DeviceProofCheck(null, AuthError.DeviceProofNonceRequired);
            }
            freshUntil = issuedAt + window;
        }

        return new DeviceProofCheck(new DeviceProof
        {
            KeyThumbprint = Base64UrlEncoder.Encode(new JsonWebKey { Kty = "EC", Crv = "P-256", X = x, Y = y }.ComputeJwkThumbprint()),
            ProofId = ProofId(jti),
            FreshUntil = freshUntil,
            PublicKey = [.. Base64Url.DecodeFromChars(x), .. Base64Url.DecodeFromChars(y)],
            SignedData = Encoding.ASCII.GetBytes(compact[..compact.LastIndexOf('.')]),
            Signature = signature,
        }, AuthError.None);
    }

    private static readonly DeviceProofCheck Invalid = new(null, AuthError.DeviceProofInvalid);

    /// <summary>The public P-256 key of a proof's <c>jwk</c>: EC, P-256, x and y of 32 bytes, and no private member.</summary>
    private static (string X, string Y)? PublicKey(JsonElement jwk) =>
        jwk.ValueKind == JsonValueKind.Object && !jwk.TryGetProperty("d", out _)
        && jwk.TryGetProperty("kty", out var kty) && kty.ValueKind == JsonValueKind.String && kty.GetString() == "EC"
        && jwk.TryGetProperty("crv", out var crv) && crv.ValueKind == JsonValueKind.String && crv.GetString() == "P-256"
        && Coordinate(jwk, "x") is { } x && Coordinate(jwk, "y") is { } y
            ? (x, y)
            : null;

    private static string? Coordinate(JsonElement jwk, string name) =>
        jwk.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String && value.GetString() is { } text
        && Base64Url.IsValid(text, out var length) && length == CoordinateLength
            ? text
            : null;

    /// <summary>
    /// Whether the proof was made for <paramref name="accessToken"/> (RFC 9449 §4.3): its <c>ath</c> is the token's SHA-256
    /// in base64url, so that a proof seen with one token cannot carry another.
    /// </summary>
    private static bool NamesToken(JsonWebToken proof, string accessToken)
    {
        Span<byte> presented = stackalloc byte[SHA256.HashSizeInBytes];
        if (!proof.TryGetPayloadValue<string>("ath", out var ath) || ath is null
            || !Base64Url.TryDecodeFromChars(ath, presented, out var length) || length != SHA256.HashSizeInBytes)
        {
            return false;
        }
        Span<byte> expected = stackalloc byte[SHA256.HashSizeInBytes];
        SHA256.HashData(Encoding.ASCII.GetBytes(accessToken), expected);
        return CryptographicOperations.FixedTimeEquals(expected, presented);
    }

    /// <summary>The compact JWS's signature: 64 bytes (r‖s) of base64url, or null.</summary>
    private static byte[]? Signature(string compact)
    {
        var encoded = compact.AsSpan(compact.LastIndexOf('.') + 1);
        return Base64Url.IsValid(encoded, out var length) && length == 2 * CoordinateLength ? Base64Url.DecodeFromChars(encoded) : null;
    }

    /// <summary>
    /// Whether <paramref name="htu"/> names this request (RFC 9449 §4.3): scheme and host compared case-insensitively,
    /// default ports removed, query and fragment ignored; behind a proxy, against the configured public URL.
    /// </summary>
    private bool IsThisRequest(string htu, HttpRequest request)
    {
        if (!Uri.TryCreate(htu, UriKind.Absolute, out var presented) || presented.Scheme is not ("http" or "https"))
        {
            return false;
        }
        var path = request.PathBase.Add(request.Path).Value ?? "";
        var expected = _publicBaseUrl is { } publicBase
            ? new Uri(publicBase, publicBase.AbsolutePath.TrimEnd('/') + path)
            : new Uri($"{request.Scheme}://{request.Host.Value}{path}");
        return string.Equals(presented.Scheme, expected.Scheme, StringComparison.OrdinalIgnoreCase)
            && string.Equals(presented.Host, expected.Host, StringComparison.OrdinalIgnoreCase)
            && presented.Port == expected.Port
            && string.Equals(presented.AbsolutePath, expected.AbsolutePath, StringComparison.Ordinal);
    }

    /// <summary>What a family remembers of a proof's id: a hash, so that the store holds nothing a client chose.</summary>
    private static string ProofId(string jti) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(jti)).AsSpan(0, 16));
}

/// <summary>
/// Server nonces for device proofs (RFC 9449 §8): the issue time and a MAC of it under the brand's nonce secret, so that
/// any API process of the deployment can check one another made, and none keeps any state. A nonce of one brand is
/// foreign to another.
/// </summary>
public sealed class DeviceNonces(SigningKeyRing keys, [FromKeyedServices(ServiceKeys.Clock)] TimeProvider clock)
{
    private const int MacLength = 16;

    public string Issue(string brand)
    {
        Span<byte> nonce = stackalloc byte[8 + MacLength];
        System.Buffers.Binary.BinaryPrimitives.WriteInt64BigEndian(nonce, clock.GetUtcNow().ToUnixTimeMilliseconds());
        Mac(brand, nonce[..8], nonce[8..]);
        return Base64Url.EncodeToString(nonce);
    }

    /// <summary>When the brand's nonce was issued; null when it is not one of the brand's.</summary>
    public DateTimeOffset? IssuedAt(string brand, string nonce)
    {
        Span<byte> bytes = stackalloc byte[8 + MacLength];
        if (!Base64Url.TryDecodeFromChars(nonce, bytes, out var length) || length != bytes.Length)
        {
            return null;
        }
        Span<byte> expected = stackalloc byte[MacLength];
        Mac(brand, bytes[..8], expected);
        if (!CryptographicOperations.FixedTimeEquals(expected, bytes[8..]))
        {
            return null;
        }
        var issued = IssueTime(bytes[..8]);
        // A nonce from the future was not made here.
        return issued <= clock.GetUtcNow().AddSeconds(5) ? issued : null;
    }

    private void Mac(string brand, ReadOnlySpan<byte> issued, Span<byte> mac)
    {
        // The secret of the key that signed when the nonce was issued, so a nonce outlives a SignFrom it straddles.
        Span<byte> full = stackalloc byte[32];
        HMACSHA256.HashData(keys.Find(brand)!.SignerAt(IssueTime(issued)).NonceSecret, issued, full);
        full[..MacLength].CopyTo(mac);
    }

    private static DateTimeOffset IssueTime(ReadOnlySpan<byte> issued) =>
        DateTimeOffset.FromUnixTimeMilliseconds(Math.Clamp(System.Buffers.Binary.BinaryPrimitives.ReadInt64BigEndian(issued), 0, 253402300799999));
}
