using Microsoft.IdentityModel.Tokens;

namespace Sessions.Api.Tokens;

/// <summary>
/// The library's HMAC provider, minus a copy of the key per call: it asks for the key's bytes on every signature and
/// check, and a <see cref="SymmetricSecurityKey"/> answers with a fresh copy each time; these are copied once.
/// </summary>
internal sealed class HmacSignatureProvider(SymmetricSecurityKey key, string algorithm, bool willCreateSignatures)
    : SymmetricSignatureProvider(key, algorithm, willCreateSignatures)
{
    // Set before the base constructor runs (field initialisers come first), so it is there for any call it makes.
    private readonly byte[] _keyBytes = key.Key;

    protected override byte[] GetKeyBytes(SecurityKey key) => _keyBytes;
}

/// <summary>
/// Hands the library the signer a brand's ring made once, instead of a lookup in the library's provider cache by a
/// key string it formats for every token; the ring keeps the signer for the life of the process.
/// </summary>
internal sealed class KeptSignerFactory(SignatureProvider signer) : CryptoProviderFactory
{
    public override SignatureProvider CreateForSigning(SecurityKey key, string algorithm) => Kept(key, algorithm) ?? base.CreateForSigning(key, algorithm);

    public override SignatureProvider CreateForSigning(SecurityKey key, string algorithm, bool cacheProvider) =>
        Kept(key, algorithm) ?? base.CreateForSigning(key, algorithm, cacheProvider);

    public override void ReleaseSignatureProvider(SignatureProvider signatureProvider)
    {
        if (!ReferenceEquals(signatureProvider, signer))
        {
            base.ReleaseSignatureProvider(signatureProvider);
        }
    }

    private SignatureProvider? Kept(SecurityKey key, string algorithm) =>
        ReferenceEquals(key, signer.Key) && algorithm == signer.Algorithm ? signer : null;
}
