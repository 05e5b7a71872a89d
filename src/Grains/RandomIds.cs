using System.Buffers.Text;
using System.Security.Cryptography;

namespace Sessions.Grains;

/// <summary>Identifiers that must not be guessable: 128 bits from the platform's CSPRNG.</summary>
public static class RandomIds
{
    // A call into the CSPRNG costs about a microsecond and a half here (OpenSSL's DRBG, its locks and error queue),
    // more than the 16 bytes are worth; every regenerate draws one or two ids. So each thread draws 1 KiB at a time
    // and hands out each 16-byte slice once, wiping it as it goes.
    private const int IdBytes = 16;
    private const int DrawBytes = 64 * IdBytes;

    [ThreadStatic]
    private static byte[]? t_drawn;

    [ThreadStatic]
    private static int t_next;

    /// <summary>A session id as the contract shows it: <c>P-</c> + a version-4 UUID.</summary>
    public static string NewSessionId() => "P-" + Guid.NewGuid().ToString("D");

    /// <summary>A <c>jti</c> or <c>sid</c>: 128 random bits, base64url.</summary>
    public static string NewTokenId()
    {
        var drawn = t_drawn ??= new byte[DrawBytes];
        var next = t_next;
        if (next == 0)
        {
            RandomNumberGenerator.Fill(drawn);
        }
        var bits = drawn.AsSpan(next, IdBytes);
        var id = Base64Url.EncodeToString(bits);
        CryptographicOperations.ZeroMemory(bits);
        t_next = (next + IdBytes) % DrawBytes;
        return id;
    }

    public static string NewCustomerId() => Guid.NewGuid().ToString("N");
}
