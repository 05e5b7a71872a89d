using System.Security.Cryptography;
using Microsoft.IdentityModel.Tokens;
using Org.BouncyCastle.Asn1.X9;
using Org.BouncyCastle.Crypto.Digests;
using Org.BouncyCastle.Crypto.Parameters;
using Org.BouncyCastle.Crypto.Signers;
using Org.BouncyCastle.Utilities;

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

/// <summary>
/// ES256 signatures by RFC 6979 (deterministic ECDSA, BouncyCastle): the same header and payload always get the same
/// signature, where the platform's ECDSA draws a random nonce each time. A web token is its family's refresh credential
/// and must come back byte-identical on a retry within the grace (API.md §4.4), yet resource servers verify it by the
/// brand's public key, so it cannot be HMAC-signed as keys are. Signs only; verification stays with the platform.
/// </summary>
internal sealed class DeterministicEs256SignatureProvider : SignatureProvider
{
    private const int CoordinateLength = 32;
    private readonly ECPrivateKeyParameters _privateKey;

    public DeterministicEs256SignatureProvider(ECDsaSecurityKey key) : base(key, SecurityAlgorithms.EcdsaSha256)
    {
        var d = key.ECDsa.ExportParameters(includePrivateParameters: true).D!;
        _privateKey = new ECPrivateKeyParameters(new Org.BouncyCastle.Math.BigInteger(1, d), new ECDomainParameters(ECNamedCurveTable.GetByName("P-256")));
        CryptographicOperations.ZeroMemory(d);
        WillCreateSignatures = true;
    }

    public override byte[] Sign(byte[] input) => Sign(input.AsSpan());

    public override byte[] Sign(byte[] input, int offset, int count) => Sign(input.AsSpan(offset, count));

    public override bool Sign(ReadOnlySpan<byte> data, Span<byte> destination, out int bytesWritten)
    {
        var signature = Sign(data);
        bytesWritten = signature.Length;
        return signature.AsSpan().TryCopyTo(destination);
    }

    public override bool Verify(byte[] input, byte[] signature) => throw new NotSupportedException("This provider only signs.");

    public override bool Verify(byte[] input, int inputOffset, int inputLength, byte[] signature, int signatureOffset, int signatureLength) =>
        throw new NotSupportedException("This provider only signs.");

    protected override void Dispose(bool disposing)
    {
    }

    /// <summary>The JWS form of the signature: r and s, 32 big-endian bytes each.</summary>
    private byte[] Sign(ReadOnlySpan<byte> input)
    {
        var signer = new ECDsaSigner(new HMacDsaKCalculator(new Sha256Digest()));
        signer.Init(forSigning: true, _privateKey);
        var rs = signer.GenerateSignature(SHA256.HashData(input));
        return [.. BigIntegers.AsUnsignedByteArray(CoordinateLength, rs[0]), .. BigIntegers.AsUnsignedByteArray(CoordinateLength, rs[1])];
    }
}
