using System.Security.Cryptography;

namespace Sessions.Grains.Configuration;

/// <summary>ES256 key material: reading a configured P-256 key, and making one for Development.</summary>
public static class SigningKeyMaterial
{
    private const string P256Oid = "1.2.840.10045.3.1.7";

    /// <summary>Why <paramref name="pem"/> is not a usable P-256 private key, or null when it is.</summary>
    public static string? ReadP256(string? pem)
    {
        if (string.IsNullOrWhiteSpace(pem))
        {
            return "must be a PKCS#8 P-256 private key in PEM for an ES256 key.";
        }
        try
        {
            using var key = ImportP256(pem);
            return null;
        }
        catch (Exception e) when (e is CryptographicException or ArgumentException or InvalidOperationException)
        {
            return $"is not a P-256 private key in PEM ({e.Message.TrimEnd('.')}).";
        }
    }

    /// <summary>The private key; throws unless the PEM holds a private key on the P-256 curve.</summary>
    public static ECDsa ImportP256(string pem)
    {
        var key = ECDsa.Create();
        try
        {
            key.ImportFromPem(pem);
            var parameters = key.ExportParameters(includePrivateParameters: true);
            if (parameters.Curve.Oid.Value != P256Oid && parameters.Curve.Oid.FriendlyName is not ("nistP256" or "ECDSA_P256"))
            {
                throw new InvalidOperationException("the key is not on the P-256 curve");
            }
            return key;
        }
        catch
        {
            key.Dispose();
            throw;
        }
    }

    public static string NewP256Pem()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        return key.ExportPkcs8PrivateKeyPem();
    }
}
