using System.Text.RegularExpressions;
using Sessions.Api.Envelope;
using Sessions.Grains;
using Sessions.Grains.Configuration;
using Sessions.Grains.Passwords;

namespace Sessions.Api.Requests;

/// <summary>Checks and hashes a password a customer is setting: confirmation, length, the brand's MFA regex.</summary>
public static class PasswordRules
{
    public const int MaxLength = 128;
    private static readonly TimeSpan RegexTimeout = TimeSpan.FromMilliseconds(250);

    /// <summary>
    /// Reads <c>password</c> + <c>confirmPassword</c> when present. Returns the hash to store, null when no password
    /// was given, or the error.
    /// </summary>
    public static EnvelopeResult? TryHashNewPassword(AuthRequest request, BrandOptions brand, bool mfa, out string? hash)
    {
        hash = null;
        if (!request.TryOptional("password", FieldReader.MaxSecretLength, out var password, out var error)
            || !request.TryOptional("confirmPassword", FieldReader.MaxSecretLength, out var confirmation, out error))
        {
            return error;
        }
        if (string.IsNullOrEmpty(password))
        {
            return string.IsNullOrEmpty(confirmation) ? null : EnvelopeResult.InvalidField("password", "is required with confirmPassword");
        }
        if (!(mfa ? brand.MfaPasswordEnabled : brand.PasswordEnabled))
        {
            return EnvelopeResult.Fail(AuthError.PasswordNotEnabled);
        }
        if (password != confirmation)
        {
            return EnvelopeResult.Fail(AuthError.PasswordConfirmationMismatch);
        }
        if (password.Length < brand.Password.MinLength || password.Length > MaxLength
            || mfa && brand.MfaPasswordRegex is { } pattern && !MatchesPolicy(password, pattern))
        {
            return EnvelopeResult.Fail(AuthError.PasswordPolicyViolation);
        }

        hash = PasswordHashing.Hash(password);
        return null;
    }

    private static bool MatchesPolicy(string password, string pattern)
    {
        try
        {
            return Regex.IsMatch(password, pattern, RegexOptions.None, RegexTimeout);
        }
        catch (RegexMatchTimeoutException)
        {
            return false;
        }
    }
}
