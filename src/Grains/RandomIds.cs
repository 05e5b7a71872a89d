using System.Buffers.Text;
using System.Security.Cryptography;

namespace Sessions.Grains;

/// <summary>Identifiers that must not be guessable: 128 bits from the OS CSPRNG.</summary>
public static class RandomIds
{
    /// <summary>A session id as the contract shows it: <c>P-</c> + a version-4 UUID.</summary>
    public static string NewSessionId() => "P-" + Guid.NewGuid().ToString("D");

    /// <summary>A <c>jti</c> or <c>sid</c>: 128 random bits, base64url.</summary>
    public static string NewTokenId() => Base64Url.EncodeToString(RandomNumberGenerator.GetBytes(16));

    public static string NewCustomerId() => Guid.NewGuid().ToString("N");
}
