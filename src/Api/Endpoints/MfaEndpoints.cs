using Sessions.Api.OpenApi;
using Sessions.Api.Requests;
using Sessions.Api.Security;
using Sessions.Grains;
using Sessions.Grains.Contracts;

namespace Sessions.Api.Endpoints;

/// <summary>
/// The second factor (API.md §4.2): MFA session, OTP or password, MFA-key regeneration and logout. A browser whose
/// first factor ended MFA_PENDING completes MFA here too, <c>deviceId</c> omitted, and gets a web family (§4.4).
/// </summary>
public static class MfaEndpoints
{
    public static RouteGroupBuilder MapMfa(this IEndpointRouteBuilder routes)
    {
        var flow = SessionFlow.Mfa;
        var channel = Channel.Mobile;
        var group = routes.MapGroup("/auth/v1/mfa").WithTags("Second factor (MFA)").RequireRateLimiting(RateLimiting.AuthPolicy)
            .OpenToBrandWebsites();
        group.MapPost("/token/generate", AuthHandlers.OpenMfaAsync).WithName("GenerateMfaToken")
            .Documented<MfaTokenGenerateRequest>("Open an MFA session for the second-factor identifier", [.. Errors.Mfa, .. Errors.AuthorizedToken, .. Errors.OpenSession, AuthError.InvalidDetails]);
        group.MapPost("/otp/generate", (AuthRequest r, AuthServices s) => AuthHandlers.SendOtpAsync(r, s, flow, channel))
            .WithName("GenerateMfaOtp").RequireRateLimiting(RateLimiting.OtpPolicy)
            .Documented<SessionRequest>("Send an OTP for the MFA session", [.. Errors.Mfa, .. Errors.SendOtp]);
        group.MapPost("/otp/validate", (AuthRequest r, AuthServices s) => AuthHandlers.ValidateOtpAsync(r, s, flow, channel))
            .WithName("ValidateMfaOtp").Documented<OtpValidateRequest>("Validate the MFA OTP: USER token and a new MFA key family (a web family for a browser's MFA)", [.. Errors.Mfa, .. Errors.ValidateOtp]);
        group.MapPost("/password/validate", (AuthRequest r, AuthServices s) => AuthHandlers.ValidatePasswordAsync(r, s, flow, channel))
            .WithName("ValidateMfaPassword").Documented<PasswordValidateRequest>("Validate the MFA password: USER token and a new MFA key family (a web family for a browser's MFA)", [.. Errors.Mfa, .. Errors.ValidatePassword]);
        group.MapPost("/token/regenerate", (AuthRequest r, AuthServices s) => AuthHandlers.RegenerateAsync(r, s, flow, channel))
            .WithName("RegenerateMfaToken").Documented<KeyRequest>("Exchange an MFA key for a new USER token (and the rotated key)", [.. Errors.Mfa, .. Errors.Regenerate]);
        group.MapMethods("/token/expire", [HttpMethods.Delete, HttpMethods.Post], AuthHandlers.ExpireAsync).WithName("ExpireMfaToken")
            .Documented<TokenRequest>("Log out: revoke this device session's MFA key family", [.. Errors.Mfa, .. Errors.UserToken, AuthError.UnableToExpireToken]);
        group.MapPost("/password/change", (AuthRequest r, AuthServices s) => PasswordHandlers.ChangeAsync(r, s, flow, channel))
            .WithName("ChangeMfaPassword").Documented<PasswordChangeRequest>("Change the MFA password; revokes MFA keys on other devices", [.. Errors.Mfa, .. Errors.ChangePassword]);
        group.MapPost("/password/forget", (AuthRequest r, AuthServices s) => PasswordHandlers.ForgetAsync(r, s, flow, channel))
            .WithName("ForgetMfaPassword").Documented<PasswordForgetRequest>("Reset the MFA password with the MFA session's OTP; revokes every MFA key", [.. Errors.Mfa, .. Errors.ResetPassword]);
        return group;
    }
}
