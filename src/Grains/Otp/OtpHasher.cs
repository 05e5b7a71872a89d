using System.Security.Cryptography;
using System.Text;

namespace Sessions.Grains.Otp;

/// <summary>
/// Makes and checks OTPs. Codes come from the OS CSPRNG; at rest only an HMAC-SHA256 of (session, code) under a
/// server key is kept, so a copy of the store does not reveal codes, and a code is bound to its session.
/// </summary>
public sealed class OtpHasher(byte[] key)
{
    public static string NewCode(int length) => RandomNumberGenerator.GetString("0123456789", length);

    public byte[] Hash(string sessionId, string code)
    {
        Span<byte> input = stackalloc byte[256];
        var written = Encoding.UTF8.GetBytes($"{sessionId}\n{code}", input);
        return HMACSHA256.HashData(key, input[..written]);
    }

    public bool Matches(byte[] expectedHash, string sessionId, string code) =>
        CryptographicOperations.FixedTimeEquals(expectedHash, Hash(sessionId, code));
}
