using Sessions.Grains;

namespace Sessions.Api.Endpoints;

/// <summary>Which envelope codes each kind of endpoint answers (API.md §4, §6), for the OpenAPI document.</summary>
internal static class Errors
{
    public static readonly AuthError[] Mfa = [AuthError.MfaNotEnabled];

    public static readonly AuthError[] SetPassword =
        [AuthError.PasswordRequired, AuthError.PasswordNotEnabled, AuthError.PasswordConfirmationMismatch, AuthError.PasswordPolicyViolation];

    /// <summary>Opening a session: the identifier's open logins are bounded (MaxOpenLogins).</summary>
    public static readonly AuthError[] OpenSession = [.. SetPassword, AuthError.OtpSendLimitReached];

    public static readonly AuthError[] SendOtp =
        [AuthError.InvalidSession, AuthError.OtpAttemptsExhausted, AuthError.OtpSendLimitReached, AuthError.IdentifierLocked, AuthError.OtpDeliveryFailed];

    public static readonly AuthError[] CheckOtp =
        [AuthError.InvalidSession, AuthError.InvalidOtp, AuthError.OtpNotGenerated, AuthError.OtpAttemptsExhausted, AuthError.IdentifierLocked, AuthError.InvalidDetails, AuthError.TooManyRequests];

    public static readonly AuthError[] CheckPassword =
        [AuthError.InvalidSession, AuthError.PasswordNotEnabled, AuthError.InvalidPassword, AuthError.PasswordAttemptsExhausted, AuthError.IdentifierLocked, AuthError.InvalidDetails, AuthError.TooManyRequests];

    /// <summary>A call that creates a family or exchanges its key can carry a device proof (API.md §4.7).</summary>
    public static readonly AuthError[] DeviceProof = [AuthError.DeviceProofInvalid, AuthError.DeviceProofRequired, AuthError.DeviceProofNonceRequired];

    public static readonly AuthError[] ValidateOtp = [.. CheckOtp, .. DeviceProof];

    public static readonly AuthError[] ValidatePassword = [.. CheckPassword, .. DeviceProof];

    public static readonly AuthError[] Identity = [AuthError.BrandMismatch, AuthError.DeviceMismatch, AuthError.IdentifierMismatch];

    /// <summary>A bound family's exchange: the proof's key must be the family's (1561), and a family takes so many proofs a minute (429).</summary>
    private static readonly AuthError[] BoundExchange = [.. DeviceProof, AuthError.DeviceKeyMismatch, AuthError.TooManyRequests];

    public static readonly AuthError[] Regenerate = [AuthError.InvalidKey, AuthError.KeyReused, .. Identity, .. BoundExchange];

    public static readonly AuthError[] WebRegenerate = [AuthError.InvalidToken, AuthError.InvalidKey, AuthError.KeyReused, .. Identity, .. BoundExchange];

    public static readonly AuthError[] AuthorizedToken = [AuthError.InvalidToken, AuthError.TokenExpired, AuthError.BrandMismatch, AuthError.DeviceMismatch];

    /// <summary>An account call's token: a bound family's needs its proof where the brand requires it (RequireProofForBoundTokens), refused as a bound exchange's.</summary>
    public static readonly AuthError[] UserToken = [AuthError.InvalidToken, AuthError.TokenExpired, .. Identity, .. BoundExchange];

    /// <summary>Signing sessions out from the list of signed-in devices: another's needs a recent login (1564).</summary>
    public static readonly AuthError[] SignOut = [.. UserToken, AuthError.RecentLoginRequired, AuthError.InvalidDetails];

    public static readonly AuthError[] ChangeIdentifier =
        [.. UserToken, AuthError.InvalidDetails, AuthError.OtpSendLimitReached, AuthError.IdentifierLocked, AuthError.OtpDeliveryFailed,
         AuthError.InvalidOtp, AuthError.OtpAttemptsExhausted, AuthError.OtpNotGenerated, AuthError.RecentLoginRequired];

    public static readonly AuthError[] ChangePassword =
        [.. UserToken, AuthError.PasswordNotEnabled, AuthError.PasswordUnchanged, AuthError.PasswordConfirmationMismatch,
         AuthError.PasswordPolicyViolation, AuthError.InvalidPassword, AuthError.IdentifierLocked, AuthError.TooManyRequests];

    public static readonly AuthError[] ResetPassword =
        [.. CheckOtp, AuthError.PasswordNotEnabled, AuthError.PasswordConfirmationMismatch, AuthError.PasswordPolicyViolation];
}
