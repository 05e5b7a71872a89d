using System.Security.Cryptography;
using System.Text;

namespace Sessions.Grains.Passwords;

/// <summary>
/// A first-time password given when a session opens, kept with the session until it completes (API.md §7): sealed with
/// AES-GCM under a key derived from the OTP hash key, bound to the session id, so the store never holds it in clear and
/// no hash is computed for a session that never proves its OTP.
/// </summary>
public sealed class PendingPasswords
{
    private const int NonceSize = 12;
    private const int TagSize = 16;
    private static readonly byte[] Purpose = "sessions/pending-password/v1"u8.ToArray();

    private readonly byte[] _key;

    public PendingPasswords(byte[] otpHashKey) =>
        _key = HKDF.DeriveKey(HashAlgorithmName.SHA256, otpHashKey, outputLength: 32, salt: [], info: Purpose);

    public byte[] Seal(string sessionId, string password)
    {
        var plain = Encoding.UTF8.GetBytes(password);
        var sealedBytes = new byte[NonceSize + TagSize + plain.Length];
        var nonce = sealedBytes.AsSpan(0, NonceSize);
        RandomNumberGenerator.Fill(nonce);
        using var aes = new AesGcm(_key, TagSize);
        aes.Encrypt(nonce, plain, sealedBytes.AsSpan(NonceSize + TagSize), sealedBytes.AsSpan(NonceSize, TagSize), Encoding.UTF8.GetBytes(sessionId));
        CryptographicOperations.ZeroMemory(plain);
        return sealedBytes;
    }

    /// <summary>The password sealed for <paramref name="sessionId"/>; null if the bytes were not sealed for it with this key.</summary>
    public string? Open(string sessionId, byte[] sealedBytes)
    {
        if (sealedBytes.Length < NonceSize + TagSize)
        {
            return null;
        }
        var plain = new byte[sealedBytes.Length - NonceSize - TagSize];
        try
        {
            using var aes = new AesGcm(_key, TagSize);
            aes.Decrypt(sealedBytes.AsSpan(0, NonceSize), sealedBytes.AsSpan(NonceSize + TagSize), sealedBytes.AsSpan(NonceSize, TagSize), plain, Encoding.UTF8.GetBytes(sessionId));
            return Encoding.UTF8.GetString(plain);
        }
        catch (AuthenticationTagMismatchException)
        {
            return null;
        }
        finally
        {
            CryptographicOperations.ZeroMemory(plain);
        }
    }

    /// <summary>Whether <paramref name="presented"/> is the sealed password, compared in constant time.</summary>
    public bool Matches(string sessionId, byte[] sealedBytes, string presented) =>
        Open(sessionId, sealedBytes) is { } expected
        && CryptographicOperations.FixedTimeEquals(SHA256.HashData(Encoding.UTF8.GetBytes(expected)), SHA256.HashData(Encoding.UTF8.GetBytes(presented)));
}
