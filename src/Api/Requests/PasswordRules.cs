using System.Collections.Concurrent;
using System.Text.RegularExpressions;
using Sessions.Api.Envelope;
using Sessions.Grains;
using Sessions.Grains.Configuration;

namespace Sessions.Api.Requests;

/// <summary>
/// Checks a password a customer is setting: confirmation, length, the brand's MFA regex. Nothing here hashes: the
/// grain hashes on its bounded pool, and only once the call's cheap checks have passed (API.md §7).
/// </summary>
public static class PasswordRules
{
    public const int MaxLength = 128;

    // The brand's pattern is the operator's, not the caller's, and a password is at most 128 characters; the timeout
    // is a safety net against a pattern that backtracks badly.
    private static readonly TimeSpan RegexTimeout = TimeSpan.FromMilliseconds(50);
    private static readonly ConcurrentDictionary<string, Regex> Patterns = new(StringComparer.Ordinal);

    /// <summary>
    /// The optional first-time password of <c>token/generate</c> and <c>mfa/token/generate</c>: <c>password</c> +
    /// <c>confirmPassword</c>. Returns the error, or null with the password to keep (null when none was given).
    /// </summary>
    public static EnvelopeResult? TryReadOptionalPassword(AuthRequest request, BrandOptions brand, bool mfa, out string? password)
    {
        if (!request.TryOptional("password", FieldReader.MaxSecretLength, out password, out var error)
            || !request.TryOptional("confirmPassword", FieldReader.MaxSecretLength, out var confirmation, out error))
        {
            return error;
        }
        if (string.IsNullOrEmpty(password))
        {
            password = null;
            return string.IsNullOrEmpty(confirmation) ? null : EnvelopeResult.InvalidField("password", "is required with confirmPassword");
        }
        return Check(password, confirmation, brand, mfa);
    }

    /// <summary>A password being set by a change or a reset: <paramref name="field"/> + <c>confirmPassword</c>, both required.</summary>
    public static EnvelopeResult? TryReadNewPassword(AuthRequest request, string field, BrandOptions brand, bool mfa, out string? password)
    {
        if (!request.TryRequired(field, FieldReader.MaxSecretLength, out password, out var error)
            || !request.TryRequired("confirmPassword", FieldReader.MaxSecretLength, out var confirmation, out error))
        {
            return error;
        }
        return Check(password, confirmation, brand, mfa);
    }

    public static bool IsEnabled(BrandOptions brand, bool mfa) => mfa ? brand.MfaPasswordEnabled : brand.PasswordEnabled;

    private static EnvelopeResult? Check(string password, string? confirmation, BrandOptions brand, bool mfa)
    {
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
        return null;
    }

    private static bool MatchesPolicy(string password, string pattern)
    {
        try
        {
            return Patterns.GetOrAdd(pattern, p => new Regex(p, RegexOptions.CultureInvariant, RegexTimeout)).IsMatch(password);
        }
        catch (RegexMatchTimeoutException)
        {
            return false;
        }
    }
}
