namespace Sessions.Grains;

/// <summary>The contract's error codes (API.md §6). The numeric value is what clients see.</summary>
[GenerateSerializer, Alias("sessions.auth-error")]
public enum AuthError
{
    None = 0,
    InternalError = 1500,
    /// <summary>The bounded password-hashing pool is full (API.md §7): 429 with Retry-After, nothing changed.</summary>
    TooManyRequests = 429,
    OtpValidationFailed = 1502,
    OtpDeliveryFailed = 1503,
    UnsupportedBrand = 1504,
    InvalidSession = 1505,
    InvalidOtp = 1506,
    IdentifierMismatch = 1507,
    DeviceMismatch = 1508,
    BrandMismatch = 1509,
    OtpAttemptsExhausted = 1518,
    InvalidDetails = 1519,
    PasswordRequired = 1520,
    PasswordConfirmationMismatch = 1521,
    PasswordNotEnabled = 1524,
    KeyReused = 1525,
    PasswordUnchanged = 1527,
    InvalidPassword = 1528,
    TokenExpired = 1529,
    PasswordAttemptsExhausted = 1530,
    UnableToExpireToken = 1531,
    OtpSendLimitReached = 1534,
    OtpNotGenerated = 1537,
    SessionIdentifierMismatch = 1541,
    PasswordPolicyViolation = 1542,
    InvalidIdentifierType = 1546,
    IdentifierLocked = 1550,
    MfaNotEnabled = 1551,
    DeviceProofInvalid = 1560,
    DeviceKeyMismatch = 1561,
    DeviceProofRequired = 1562,
    DeviceProofNonceRequired = 1563,
    /// <summary>
    /// Beyond the contract (README, "Signed-in devices"): signing other sessions out, and starting an identifier change
    /// where the brand sets <c>IdentifierChange:RequireRecentLogin</c>, need a login of the last <c>RecentLoginMinutes</c>
    /// (a regenerate is not a login), so a key copied off the device cannot shut its owner out or move the account.
    /// </summary>
    RecentLoginRequired = 1564,
    InvalidToken = 1596,
    InvalidKey = 1597,
    ServiceUnavailable = 1599,
    ExternalIdLoginDisabled = 3005,
}
