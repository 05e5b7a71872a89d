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
    /// The optional first-time password of <c>token/generate</c> and <c>mfa/token/generate</c>: <c>password</c> +
    /// <c>confirmPassword</c>. Returns the error, or null with the hash to store (null when no password was given).
    /// </summary>
    public static EnvelopeResult? TryHashOptionalPassword(AuthRequest request, BrandOptions brand, bool mfa, out string? hash)
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
        return Check(password, confirmation, brand, mfa, out hash);
    }

    /// <summary>A password being set by a change or a reset: <paramref name="field"/> + <c>confirmPassword</c>, both required.</summary>
    public static EnvelopeResult? TryHashRequiredPassword(AuthRequest request, string field, BrandOptions brand, bool mfa, out string? hash)
    {
        hash = null;
        if (!request.TryRequired(field, FieldReader.MaxSecretLength, out var password, out var error)
            || !request.TryRequired("confirmPassword", FieldReader.MaxSecretLength, out var confirmation, out error))
        {
            return error;
        }
        return Check(password, confirmation, brand, mfa, out hash);
    }

    public static bool IsEnabled(BrandOptions brand, bool mfa) => mfa ? brand.MfaPasswordEnabled : brand.PasswordEnabled;

    private static EnvelopeResult? Check(string password, string? confirmation, BrandOptions brand, bool mfa, out string? hash)
    {
        hash = null;
        if (!IsEnabled(brand, mfa))
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
