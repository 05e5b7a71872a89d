using System.Collections.Frozen;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.Tokens;
using Sessions.Grains.Configuration;

namespace Sessions.Api.Tokens;

/// <summary>
/// Each brand's HS256 keys, built once: the first configured key signs, every configured key verifies
/// (so a new key can be put first while tokens signed with the old one still verify).
/// </summary>
public sealed class SigningKeyRing
{
    public const string Algorithm = SecurityAlgorithms.HmacSha256;

    private readonly FrozenDictionary<string, BrandKeys> _brands;

    public SigningKeyRing(IOptions<SessionsOptions> options)
    {
        _brands = options.Value.Brands.ToFrozenDictionary(
            b => b.Key.ToUpperInvariant(),
            b => new BrandKeys(b.Value.SigningKeys.Select(k => new SymmetricSecurityKey(Convert.FromBase64String(k.Secret)) { KeyId = k.Id }).ToArray()),
            StringComparer.Ordinal);
    }

    public int BrandCount => _brands.Count;

    public SigningCredentials SigningCredentials(string brand) => _brands[brand].Signing;

    public BrandKeys? Find(string brand) => _brands.GetValueOrDefault(brand);

    public sealed class BrandKeys
    {
        public BrandKeys(SymmetricSecurityKey[] keys)
        {
            Keys = keys;
            ById = keys.ToFrozenDictionary(k => k.KeyId, StringComparer.Ordinal);
            Signing = new SigningCredentials(keys[0], Algorithm);
        }

        public IReadOnlyList<SymmetricSecurityKey> Keys { get; }
        public FrozenDictionary<string, SymmetricSecurityKey> ById { get; }
        public SigningCredentials Signing { get; }
    }
}
