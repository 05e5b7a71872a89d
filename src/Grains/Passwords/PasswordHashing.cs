using Microsoft.AspNetCore.Identity;

namespace Sessions.Grains.Passwords;

/// <summary>Password hashes through ASP.NET Core Identity's <see cref="PasswordHasher{TUser}"/> (PBKDF2, salted, versioned).</summary>
public static class PasswordHashing
{
    private static readonly PasswordHasher<object> Hasher = new();
    private static readonly object NoUser = new();

    public static string Hash(string password) => Hasher.HashPassword(NoUser, password);

    public static PasswordVerificationResult Verify(string hash, string password) =>
        Hasher.VerifyHashedPassword(NoUser, hash, password);
}
