using System.ComponentModel;
using System.ComponentModel.DataAnnotations;
using System.Text.Json.Serialization;
using Sessions.Grains.Identity;

namespace Sessions.Api.OpenApi;

// The request bodies as the OpenAPI document shows them. The handlers read bodies through AuthRequest (case-insensitive
// names, string-or-number fields, errors in the envelope); these records only describe the wire shape.
#pragma warning disable CA1812 // only described, never created

public abstract record DeviceFields
{
    [Required, Description("Configured brand, matched case-insensitively (e.g. \"Bukl\"); tokens carry it upper case in org.")]
    public string Brand { get; init; } = "DEMO";

    [Required, Description("Case-sensitive. EXTERNALID needs the brand's ExternalIdLoginEnabled.")]
    [JsonConverter(typeof(JsonStringEnumConverter<IdentifierType>))]
    public IdentifierType IdentifierType { get; init; }

    [Required, Description("Normalised: MOBILE drops spaces, '-', '(', ')' and one leading '+' (6-15 digits); EMAIL is trimmed and lower-cased.")]
    public string IdentifierValue { get; init; } = "18767431754";

    [MaxLength(128), Description("1-128 printable characters; a JSON number is accepted too. Required on the app's endpoints; optional on /web and mfa/* (absent: the identifier's web device session, \"dev\": null in tokens).")]
    public string DeviceId { get; init; } = "1234";
}

public sealed record TokenGenerateRequest : DeviceFields
{
    [Description("First-time password, set when the OTP is validated (password brands).")]
    public string? Password { get; init; }

    public string? ConfirmPassword { get; init; }
}

public sealed record SessionRequest : DeviceFields
{
    [Required, Description("The P-<uuid> from token/generate or mfa/token/generate.")]
    public string SessionId { get; init; } = "";
}

public sealed record OtpValidateRequest : DeviceFields
{
    [Required]
    public string SessionId { get; init; } = "";

    [Required, Description("Otp.Length digits; a JSON number is left-padded with zeros.")]
    public string Otp { get; init; } = "";
}

public sealed record PasswordValidateRequest : DeviceFields
{
    [Required]
    public string SessionId { get; init; } = "";

    [Required]
    public string Password { get; init; } = "";
}

public sealed record KeyRequest : DeviceFields
{
    [Required, Description("The key (rol AUTH) from a validate or the previous regenerate.")]
    public string Key { get; init; } = "";
}

public sealed record WebRegenerateRequest : DeviceFields
{
    [Required, Description("The last web USER token of the family, expired or not (API.md §4.4).")]
    public string ExpiredToken { get; init; } = "";
}

public sealed record UpdateIdentifierRequest : DeviceFields
{
    [Required, Description("A USER token (app or web) of the current identifier and device, unexpired, of a family that still lives; "
        + "where the brand sets IdentifierChange:RequireRecentLogin, a family whose login was within RecentLoginMinutes starts a change (else 1564).")]
    public string Token { get; init; } = "";

    [Required, Description("The new value, normalised like identifierValue for the same identifierType.")]
    public string NewIdentifierValue { get; init; } = "";

    [Description("The OTP sent to the new value by the same call without it (brand setting IdentifierChange:VerifyNewValue, on by default).")]
    public string? Otp { get; init; }
}

public sealed record MfaTokenGenerateRequest : DeviceFields
{
    [Required, Description("USER or MFA_PENDING token of the first factor, same brand and device.")]
    public string AuthorizedToken { get; init; } = "";

    [Description("First-time MFA password, set when the MFA OTP is validated.")]
    public string? Password { get; init; }

    public string? ConfirmPassword { get; init; }
}

public record SignedInDevicesRequest : DeviceFields
{
    [Required, Description("A USER token (app or web) of this device session, unexpired, of a family that still lives.")]
    public string Token { get; init; } = "";
}

public sealed record SignOutSessionRequest : SignedInDevicesRequest
{
    [Required, Description("The familyId of one of the customer's live sessions, as the list gives it.")]
    public string FamilyId { get; init; } = "";
}

public sealed record TokenRequest : DeviceFields
{
    [Required, Description("USER token of this device session.")]
    public string Token { get; init; } = "";
}

public sealed record PasswordChangeRequest : DeviceFields
{
    [Required]
    public string Token { get; init; } = "";

    [Required, Description("The current password.")]
    public string Password { get; init; } = "";

    [Required]
    public string NewPassword { get; init; } = "";

    [Required]
    public string ConfirmPassword { get; init; } = "";
}

public sealed record PasswordForgetRequest : DeviceFields
{
    [Required]
    public string SessionId { get; init; } = "";

    [Description("The session's OTP; required unless the brand sets SkipOtpOnReset.")]
    public string? Otp { get; init; }

    [Required, Description("The new password.")]
    public string Password { get; init; } = "";

    [Required]
    public string ConfirmPassword { get; init; } = "";
}
