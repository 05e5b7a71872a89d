using Sessions.Grains;

namespace Sessions.Api.Envelope;

/// <summary>Message and HTTP status of every contract error code (API.md §6).</summary>
public static class ErrorCatalog
{
    public static string Message(AuthError code) => code switch
    {
        AuthError.TooManyRequests => "Too many requests, try again shortly.",
        AuthError.OtpValidationFailed => "Unable to validate OTP.",
        AuthError.OtpDeliveryFailed => "Unable to generate OTP.",
        AuthError.UnsupportedBrand => "Unsupported brand.",
        AuthError.InvalidSession => "Invalid session.",
        AuthError.InvalidOtp => "Invalid OTP.",
        AuthError.IdentifierMismatch => "Identifier does not match the one used to generate the token/session.",
        AuthError.DeviceMismatch => "Device ID does not match the one used to generate the token/session.",
        AuthError.BrandMismatch => "Brand does not match the one used to generate the token/session.",
        AuthError.OtpAttemptsExhausted => "Reached the maximum allowed OTP retry attempts, authenticate from the start.",
        AuthError.InvalidDetails => "Invalid details passed.",
        AuthError.PasswordRequired => "Password is enabled for the brand. Password cannot be empty.",
        AuthError.PasswordConfirmationMismatch => "Password and confirm password do not match.",
        AuthError.PasswordNotEnabled => "Password is not enabled for the brand.",
        AuthError.KeyReused => "Cannot regenerate token, please authenticate again.",
        AuthError.PasswordUnchanged => "Old password and new password cannot be same.",
        AuthError.InvalidPassword => "Invalid password, please try with the correct password.",
        AuthError.TokenExpired => "Token has expired.",
        AuthError.PasswordAttemptsExhausted => "Reached the maximum allowed password retry attempts, please reset your password.",
        AuthError.UnableToExpireToken => "Unable to expire token.",
        AuthError.OtpSendLimitReached => "Reached the maximum number of OTPs allowed per customer.",
        AuthError.OtpNotGenerated => "OTP is not generated for the provided details. Please generate OTP and try again.",
        AuthError.SessionIdentifierMismatch => "Identifier used to generate session does not match the identifier used to generate or validate OTP.",
        AuthError.PasswordPolicyViolation => "Password does not meet the requirements.",
        AuthError.InvalidIdentifierType => "Invalid identifierType passed.",
        AuthError.IdentifierLocked => "Account temporarily locked, try again later.",
        AuthError.MfaNotEnabled => "MFA is not enabled for the brand.",
        AuthError.DeviceProofInvalid => "Invalid device proof.",
        AuthError.DeviceKeyMismatch => "Device key does not match the key's binding.",
        AuthError.DeviceProofRequired => "Device proof required.",
        AuthError.DeviceProofNonceRequired => "Device proof needs a fresh nonce.",
        AuthError.RecentLoginRequired => "Please log in again to do this.",
        AuthError.InvalidToken => "Token is not valid.",
        AuthError.InvalidKey => "Key expired or not valid",
        AuthError.ServiceUnavailable => "Service temporarily unavailable.",
        AuthError.ExternalIdLoginDisabled => "External ID login must be enabled.",
        _ => "Internal error.",
    };

    public static int HttpStatus(AuthError code) => code switch
    {
        AuthError.OtpValidationFailed or AuthError.OtpDeliveryFailed => StatusCodes.Status502BadGateway,
        AuthError.UnsupportedBrand or AuthError.InvalidDetails or AuthError.PasswordRequired
            or AuthError.PasswordConfirmationMismatch or AuthError.PasswordNotEnabled or AuthError.PasswordUnchanged
            or AuthError.PasswordPolicyViolation or AuthError.InvalidIdentifierType or AuthError.MfaNotEnabled
            or AuthError.ExternalIdLoginDisabled or AuthError.DeviceProofInvalid or AuthError.DeviceProofNonceRequired => StatusCodes.Status400BadRequest,
        AuthError.PasswordAttemptsExhausted or AuthError.IdentifierLocked => StatusCodes.Status423Locked,
        AuthError.OtpSendLimitReached or AuthError.TooManyRequests => StatusCodes.Status429TooManyRequests,
        AuthError.ServiceUnavailable => StatusCodes.Status503ServiceUnavailable,
        AuthError.InternalError => StatusCodes.Status500InternalServerError,
        _ => StatusCodes.Status401Unauthorized,
    };
}
