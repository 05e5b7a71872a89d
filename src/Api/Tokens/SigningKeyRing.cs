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
/// Each brand's signing keys, built once: every configured key verifies, and the first whose <c>SignFrom</c> is unset
/// or past signs (so a new key can be listed first, published and known to every process before it signs, while
/// tokens signed with the old one still verify). HS256 keys are shared secrets; ES256 keys are P-256 pairs whose
/// public halves the brand's JWKS publishes.
/// </summary>
public sealed class SigningKeyRing
{
    private readonly FrozenDictionary<string, BrandKeys> _brands;

    public SigningKeyRing(IOptions<SessionsOptions> options)
    {
        _brands = options.Value.Brands.ToFrozenDictionary(
            b => b.Key.ToUpperInvariant(),
            b => new BrandKeys(b.Value.SigningKeys),
            StringComparer.Ordinal);
    }

    public int BrandCount => _brands.Count;

    /// <summary>What the brand signs tokens with at <paramref name="issuedAt"/>.</summary>
    public SigningCredentials SigningCredentials(string brand, DateTimeOffset issuedAt) => _brands[brand].SignerAt(issuedAt).Tokens;

    /// <summary>What the brand's web tokens issued at <paramref name="issuedAt"/> are signed with: see <see cref="Signer.WebTokens"/>.</summary>
    public SigningCredentials WebSigningCredentials(string brand, DateTimeOffset issuedAt) => _brands[brand].SignerAt(issuedAt).WebTokens;

    /// <summary>What the brand's keys issued at <paramref name="issuedAt"/> are signed with: see <see cref="Signer.Keys"/>.</summary>
    public SigningCredentials KeySigningCredentials(string brand, DateTimeOffset issuedAt) => _brands[brand].SignerAt(issuedAt).Keys;

    public BrandKeys? Find(string brand) => _brands.GetValueOrDefault(brand);

    /// <summary>
    /// For each brand with a key still to start signing: which key signs at <paramref name="now"/> and which signs from
    /// when, e.g. <c>ROTATE: 'old' signs, 'new' from 2026-12-08T09:00:00.0000000+00:00</c>.
    /// </summary>
    public IEnumerable<string> StagedKeys(DateTimeOffset now) =>
        from brand in _brands
        let staged = brand.Value.StagedAt(now)
        where staged.Count > 0
        orderby brand.Key
        select $"{brand.Key}: '{brand.Value.SignerAt(now).KeyId}' signs, {string.Join(", ", staged.Select(s => $"'{s.KeyId}' from {s.From:O}"))}";

    public sealed class BrandKeys
    {
        // In configuration order; the first whose From has come signs.
        private readonly Signer[] _signers;
        private readonly Signer _earliest;

        public BrandKeys(IReadOnlyList<SigningKeyOptions> configured)
        {
            Keys = [.. configured.Select(SigningKey.From)];
            // Every ES256 key has an HS256 twin for keys, derived from it: verification only, and never for a token.
            var twins = Keys.Select(k => k.PublicKey is null ? null : k.KeySigningTwin()).ToArray();
            ById = Keys.Concat(twins.OfType<SigningKey>()).ToFrozenDictionary(k => k.Key.KeyId, StringComparer.Ordinal);
            _signers = [.. Keys.Select((key, i) => new Signer(configured[i].SignFrom ?? DateTimeOffset.MinValue, key, twins[i]))];
            _earliest = _signers.MinBy(s => s.From)!;
        }

        public IReadOnlyList<SigningKey> Keys { get; }

        /// <summary>Every key that verifies, by kid: the configured keys and the ES256 keys' twins for keys.</summary>
        public FrozenDictionary<string, SigningKey> ById { get; }

        /// <summary>
        /// The key that signs what is issued at <paramref name="issuedAt"/>. Chosen by the issue time rather than the
        /// clock, so that a key or web token signed again from its stored claims (a retry within the grace) is
        /// byte-identical on either side of a <c>SignFrom</c>.
        /// </summary>
        public Signer SignerAt(DateTimeOffset issuedAt)
        {
            foreach (var signer in _signers)
            {
                if (signer.From <= issuedAt)
                {
                    return signer;
                }
            }
            // Issued before any listed key signed (its key has been removed since): the one that signed first.
            return _earliest;
        }

        /// <summary>The keys whose <c>SignFrom</c> is still to come at <paramref name="now"/>, in the order they start.</summary>
        public IReadOnlyList<Signer> StagedAt(DateTimeOffset now) => [.. _signers.Where(s => s.From > now).OrderBy(s => s.From)];
    }

    /// <summary>One configured key in its signing role, from <see cref="From"/> on.</summary>
    public sealed class Signer
    {
        public Signer(DateTimeOffset from, SigningKey key, SigningKey? keySigningTwin)
        {
            From = from;
            Tokens = Credentials(key);
            Keys = keySigningTwin is null ? Tokens : Credentials(keySigningTwin);
            WebTokens = key.Key is ECDsaSecurityKey ecdsa
                ? new SigningCredentials(ecdsa, key.Algorithm) { CryptoProviderFactory = new KeptSignerFactory(new DeterministicEs256SignatureProvider(ecdsa)) }
                : Tokens;
            NonceSecret = key.Derive("sessions/dpop-nonce/v1");
        }

        public DateTimeOffset From { get; }

        public string KeyId => Tokens.Key.KeyId;

        public SigningCredentials Tokens { get; }

        /// <summary>
        /// Keys are only ever verified by this service, so they need not be signed the way tokens are: an ES256 brand signs
        /// them with HS256 under a secret derived from its signing key, which makes a retry within the grace get the
        /// byte-identical successor (ECDSA signatures are randomised) without any key being stored. An HS256 brand signs
        /// keys as it signs tokens.
        /// </summary>
        public SigningCredentials Keys { get; }

        /// <summary>
        /// A web token is its family's refresh credential, so a retry within the grace must get it byte-identical, and
        /// resource servers verify it, so it is signed as tokens are: with deterministic ECDSA (RFC 6979) in an ES256
        /// brand, with the HMAC key in an HS256 brand (deterministic already).
        /// </summary>
        public SigningCredentials WebTokens { get; }

        /// <summary>
        /// The MAC key of the brand's device-proof nonces (API.md §4.7) issued while this key signs, the same on every API
        /// process.
        /// </summary>
        public byte[] NonceSecret { get; }

        private static SigningCredentials Credentials(SigningKey key) =>
            new(key.Key, key.Algorithm) { CryptoProviderFactory = new KeptSignerFactory(key.Signer()) };
    }
}

/// <summary>
/// One configured key: the IdentityModel key and the one <c>alg</c> a token signed with it may name. <see cref="KeysOnly"/>:
/// an ES256 key's HS256 twin, which signs and verifies keys (refresh credentials) and never a token.
/// </summary>
public sealed record SigningKey(SecurityKey Key, string Algorithm, ECDsaSecurityKey? PublicKey, bool KeysOnly = false)
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

    /// <summary>32 bytes derived from the key's secret material for <paramref name="purpose"/> (HKDF-SHA256): the same on every process that has the key.</summary>
    public byte[] Derive(string purpose)
    {
        var material = Key switch
        {
            SymmetricSecurityKey symmetric => symmetric.Key,
            ECDsaSecurityKey ecdsa => ecdsa.ECDsa.ExportParameters(includePrivateParameters: true).D!,
            _ => throw new InvalidOperationException($"Key {Key.KeyId} has no secret material."),
        };
        return System.Security.Cryptography.HKDF.DeriveKey(System.Security.Cryptography.HashAlgorithmName.SHA256, material, 32, salt: [], info: Encoding.UTF8.GetBytes(purpose));
    }

    /// <summary>This ES256 key's HS256 twin for keys: kid <c>{kid}+keys</c>, secret derived from the private key.</summary>
    public SigningKey KeySigningTwin() =>
        new(new SymmetricSecurityKey(Derive("sessions/key-signing/v1")) { KeyId = Key.KeyId + "+keys" }, SecurityAlgorithms.HmacSha256, null, KeysOnly: true);

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
