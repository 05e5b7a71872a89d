using System.Buffers;
using System.Buffers.Text;
using System.Collections.Frozen;
using System.Text;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.Tokens;
using Sessions.Grains.Configuration;

namespace Sessions.Api.Tokens;

/// <summary>
/// Each brand's signing keys, built once: the first configured key signs, every configured key verifies (so a new
/// key can be put first while tokens signed with the old one still verify). HS256 keys are shared secrets; ES256
/// keys are P-256 pairs whose public halves the brand's JWKS publishes.
/// </summary>
public sealed class SigningKeyRing
{
    private readonly FrozenDictionary<string, BrandKeys> _brands;

    public SigningKeyRing(IOptions<SessionsOptions> options)
    {
        _brands = options.Value.Brands.ToFrozenDictionary(
            b => b.Key.ToUpperInvariant(),
            b => new BrandKeys([.. b.Value.SigningKeys.Select(SigningKey.From)]),
            StringComparer.Ordinal);
    }

    public int BrandCount => _brands.Count;

    public SigningCredentials SigningCredentials(string brand) => _brands[brand].Signing;

    public BrandKeys? Find(string brand) => _brands.GetValueOrDefault(brand);

    public sealed class BrandKeys
    {
        public BrandKeys(SigningKey[] keys)
        {
            Keys = keys;
            ById = keys.ToFrozenDictionary(k => k.Key.KeyId, StringComparer.Ordinal);
            Signing = new SigningCredentials(keys[0].Key, keys[0].Algorithm) { CryptoProviderFactory = new KeptSignerFactory(keys[0].Signer()) };
        }

        public IReadOnlyList<SigningKey> Keys { get; }

        public FrozenDictionary<string, SigningKey> ById { get; }

        public SigningCredentials Signing { get; }
    }
}

/// <summary>One configured key: the IdentityModel key and the one <c>alg</c> a token signed with it may name.</summary>
public sealed record SigningKey(SecurityKey Key, string Algorithm, ECDsaSecurityKey? PublicKey)
{
    // Made once and kept (thread-safe, pooled inside): the library's verifier for this key and algorithm; an HMAC is
    // compared in constant time.
    private readonly SignatureProvider _verifier = Provider(Key, Algorithm, willCreateSignatures: false);

    /// <summary>The library's signer for this key, made once for the ring to keep.</summary>
    public SignatureProvider Signer() => Provider(Key, Algorithm, willCreateSignatures: true);

    private static SignatureProvider Provider(SecurityKey key, string algorithm, bool willCreateSignatures) => key is SymmetricSecurityKey symmetric
        ? new HmacSignatureProvider(symmetric, algorithm, willCreateSignatures)
        : new AsymmetricSignatureProvider(key, algorithm, willCreateSignatures);

    /// <summary>The length of a signature of this algorithm: an HMAC-SHA256 or a P-256 (r, s) pair, 32 bytes each.</summary>
    private int SignatureLength => Algorithm == SecurityAlgorithms.HmacSha256 ? 32 : 64;

    // Base64url without padding, and nothing else: a decoder would also skip white space, and a token is one string.
    private static readonly SearchValues<char> Base64UrlAlphabet = SearchValues.Create("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_");

    /// <summary>Whether the token's signature is this key's over its encoded header and payload.</summary>
    public bool Verifies(JsonWebToken jwt)
    {
        // A JWS's signed part and its signature, read from its compact form (the token's parts as strings would each
        // be a copy): everything before the last dot, and the base64url after it.
        var token = jwt.EncodedToken.AsSpan();
        var lastDot = token.LastIndexOf('.');
        if (jwt.IsEncrypted || lastDot < 1 || token[(lastDot + 1)..].ContainsAnyExcept(Base64UrlAlphabet))
        {
            return false;
        }
        // The signature in an array of its own length: the asymmetric provider reads a signature from its start.
        var signature = new byte[SignatureLength];
        if (!Base64Url.TryDecodeFromChars(token[(lastDot + 1)..], signature, out var signatureLength) || signatureLength != SignatureLength)
        {
            // The whole signature or nothing: the provider also checks a prefix (a truncated MAC) when given one.
            return false;
        }
        var input = ArrayPool<byte>.Shared.Rent(lastDot);
        try
        {
            var signed = Encoding.ASCII.GetBytes(token[..lastDot], input);
            return _verifier.Verify(input, 0, signed, signature, 0, signature.Length);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(input);
        }
    }

    public static SigningKey From(SigningKeyOptions options)
    {
        if (options.Algorithm == SigningAlgorithm.HS256)
        {
            return new SigningKey(new SymmetricSecurityKey(Convert.FromBase64String(options.Secret)) { KeyId = options.Id }, SecurityAlgorithms.HmacSha256, null);
        }

        var privateKey = SigningKeyMaterial.ImportP256(options.PrivateKeyPem!);
        // The published half is made from the public parameters only, so no JWK built from it can carry 'd'.
        var publicKey = System.Security.Cryptography.ECDsa.Create(privateKey.ExportParameters(includePrivateParameters: false));
        return new SigningKey(
            new ECDsaSecurityKey(privateKey) { KeyId = options.Id },
            SecurityAlgorithms.EcdsaSha256,
            new ECDsaSecurityKey(publicKey) { KeyId = options.Id });
    }
}
