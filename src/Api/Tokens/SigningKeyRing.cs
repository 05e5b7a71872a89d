using System.Collections.Frozen;
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
            Signing = new SigningCredentials(keys[0].Key, keys[0].Algorithm);
            Algorithms = [.. keys.Select(k => k.Algorithm).Distinct()];
        }

        public IReadOnlyList<SigningKey> Keys { get; }

        public FrozenDictionary<string, SigningKey> ById { get; }

        public SigningCredentials Signing { get; }

        public IReadOnlyList<string> Algorithms { get; }
    }
}

/// <summary>One configured key: the IdentityModel key and the one <c>alg</c> a token signed with it may name.</summary>
public sealed record SigningKey(SecurityKey Key, string Algorithm, ECDsaSecurityKey? PublicKey)
{
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
