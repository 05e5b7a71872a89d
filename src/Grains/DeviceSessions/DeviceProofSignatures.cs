using System.Security.Cryptography;
using Sessions.Grains.Contracts;

namespace Sessions.Grains.DeviceSessions;

/// <summary>
/// Verifies device proofs' ES256 signatures for one device session's activation. The device keys its families are bound
/// to are imported once and kept while the activation lives (an import, which validates the point, costs more than a
/// verification); any other key, such as a thief's, is imported for its one check and dropped.
/// </summary>
internal sealed class DeviceProofSignatures : IDisposable
{
    // A device session holds a few families (mobile, MFA, some browsers); more keys than this is no device's.
    private const int MaxKeptKeys = 8;
    private const int CoordinateLength = 32;

    // Made with the first kept key: most device sessions are never bound, and every active one holds this object.
    private Dictionary<string, ECDsa>? _kept;

    /// <summary>Whether the proof is signed by its key; <paramref name="keep"/>: the key is (or becomes) a family's.</summary>
    public bool AreValid(DeviceProof proof, bool keep)
    {
        if (proof.Signature.Length != 2 * CoordinateLength)
        {
            return false;
        }
        if (_kept is not null && _kept.TryGetValue(proof.KeyThumbprint, out var known))
        {
            return known.VerifyData(proof.SignedData, proof.Signature, HashAlgorithmName.SHA256);
        }
        if (Import(proof.PublicKey) is not { } key)
        {
            return false;
        }
        var valid = key.VerifyData(proof.SignedData, proof.Signature, HashAlgorithmName.SHA256);
        if (valid && keep)
        {
            _kept ??= new(StringComparer.Ordinal);
            if (_kept.Count >= MaxKeptKeys)
            {
                Dispose();
            }
            _kept[proof.KeyThumbprint] = key;
        }
        else
        {
            key.Dispose();
        }
        return valid;
    }

    public void Dispose()
    {
        if (_kept is null)
        {
            return;
        }
        foreach (var key in _kept.Values)
        {
            key.Dispose();
        }
        _kept.Clear();
    }

    /// <summary>The P-256 public key of x‖y; null when the bytes are not a point of the curve.</summary>
    private static ECDsa? Import(byte[] point)
    {
        if (point.Length != 2 * CoordinateLength)
        {
            return null;
        }
        try
        {
            return ECDsa.Create(new ECParameters
            {
                Curve = ECCurve.NamedCurves.nistP256,
                Q = new ECPoint { X = point[..CoordinateLength], Y = point[CoordinateLength..] },
            });
        }
        catch (CryptographicException)
        {
            return null;
        }
    }
}
