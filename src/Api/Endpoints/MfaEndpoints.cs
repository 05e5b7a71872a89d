using Sessions.Api.Envelope;
using Sessions.Api.OpenApi;
using Sessions.Api.Requests;
using Sessions.Api.Security;
using Sessions.Api.Tokens;
using Sessions.Grains;
using Sessions.Grains.Contracts;

namespace Sessions.Api.Endpoints;

/// <summary>The second factor (API.md §4.2): MFA session, OTP or password, MFA-key regeneration and logout.</summary>
public static class MfaEndpoints
{
    public static RouteGroupBuilder MapMfa(this IEndpointRouteBuilder routes)
    {
        var group = routes.MapGroup("/auth/v1/mfa").WithTags("Second factor (MFA)").RequireRateLimiting(RateLimiting.AuthPolicy);
        group.MapPost("/token/generate", GenerateToken).WithName("GenerateMfaToken")
            .Documented<MfaTokenGenerateRequest>("Open an MFA session for the second-factor identifier", [.. Errors.Mfa, .. Errors.AuthorizedToken, .. Errors.SetPassword]);
        group.MapPost("/otp/generate", GenerateOtp).WithName("GenerateMfaOtp").RequireRateLimiting(RateLimiting.OtpPolicy)
            .Documented<SessionRequest>("Send an OTP for the MFA session", [.. Errors.Mfa, .. Errors.SendOtp]);
        group.MapPost("/otp/validate", ValidateOtp).WithName("ValidateMfaOtp")
            .Documented<OtpValidateRequest>("Validate the MFA OTP: USER token and a new MFA key family", [.. Errors.Mfa, .. Errors.CheckOtp]);
        group.MapPost("/password/validate", ValidatePassword).WithName("ValidateMfaPassword")
            .Documented<PasswordValidateRequest>("Validate the MFA password: USER token and a new MFA key family", [.. Errors.Mfa, .. Errors.CheckPassword]);
        group.MapPost("/token/regenerate", RegenerateToken).WithName("RegenerateMfaToken")
            .Documented<KeyRequest>("Exchange an MFA key for a new USER token (and the rotated key)", [.. Errors.Mfa, .. Errors.Regenerate]);
        group.MapMethods("/token/expire", [HttpMethods.Delete, HttpMethods.Post], ExpireToken).WithName("ExpireMfaToken")
            .Documented<TokenRequest>("Log out: revoke this device session's MFA key family", [.. Errors.Mfa, .. Errors.UserToken, AuthError.UnableToExpireToken]);
        group.MapPost("/password/change", (AuthRequest request, AuthServices services) => PasswordHandlers.ChangeAsync(request, services, SessionFlow.Mfa))
            .WithName("ChangeMfaPassword").Documented<PasswordChangeRequest>("Change the MFA password; revokes MFA keys on other devices", [.. Errors.Mfa, .. Errors.ChangePassword]);
        group.MapPost("/password/forget", (AuthRequest request, AuthServices services) => PasswordHandlers.ForgetAsync(request, services, SessionFlow.Mfa))
            .WithName("ForgetMfaPassword").Documented<PasswordForgetRequest>("Reset the MFA password with the MFA session's OTP; revokes every MFA key", [.. Errors.Mfa, .. Errors.ResetPassword]);
        return group;
    }

    public static async Task<EnvelopeResult> GenerateToken(AuthRequest request, AuthServices services)
    {
        if (!services.TryReadDevice(request, SessionFlow.Mfa, out var device, out var error))
        {
            return error;
        }
        var (authorized, tokenError) = await services.VerifyAsync(request, "authorizedToken", TokenUse.AuthorizedToken, device);
        if (authorized is null)
        {
            return tokenError!;
        }
        if (PasswordRules.TryHashOptionalPassword(request, device.Brand, mfa: true, out var passwordHash) is { } passwordError)
        {
            return passwordError;
        }

        var opened = await services.DeviceSession(device).OpenMfaSessionAsync(authorized.CustomerId, passwordHash);
        return services.Opened(device, opened);
    }

    public static async Task<EnvelopeResult> GenerateOtp(AuthRequest request, AuthServices services)
    {
        if (!services.TryReadDevice(request, SessionFlow.Mfa, out var device, out var error)
            || !request.TryRequired("sessionId", 64, out var sessionId, out error))
        {
            return error;
        }

        var outcome = await services.DeviceSession(device).SendOtpAsync(SessionFlow.Mfa, sessionId);
        services.Audit.OtpRequested(device, SessionFlow.Mfa, outcome);
        return AuthServices.Acted(outcome);
    }

    public static async Task<EnvelopeResult> ValidateOtp(AuthRequest request, AuthServices services)
    {
        if (!services.TryReadDevice(request, SessionFlow.Mfa, out var device, out var error)
            || !request.TryRequired("sessionId", 64, out var sessionId, out error)
            || !request.TryOtp(device.Brand.Otp.Length, out var otp, out error))
        {
            return error;
        }

        var grant = await services.DeviceSession(device).ValidateOtpAsync(SessionFlow.Mfa, sessionId, otp);
        services.Audit.Authenticated(device, SessionFlow.Mfa, "otp", grant.Error);
        return services.Granted(device, grant, SessionFlow.Mfa);
    }

    public static async Task<EnvelopeResult> ValidatePassword(AuthRequest request, AuthServices services)
    {
        if (!services.TryReadDevice(request, SessionFlow.Mfa, out var device, out var error)
            || !request.TryRequired("sessionId", 64, out var sessionId, out error)
            || !request.TryRequired("password", FieldReader.MaxSecretLength, out var password, out error))
        {
            return error;
        }

        var grant = await services.DeviceSession(device).ValidatePasswordAsync(SessionFlow.Mfa, sessionId, password);
        services.Audit.Authenticated(device, SessionFlow.Mfa, "password", grant.Error);
        return services.Granted(device, grant, SessionFlow.Mfa, withIdentifiers: true);
    }

    public static async Task<EnvelopeResult> RegenerateToken(AuthRequest request, AuthServices services)
    {
        if (!services.TryReadDevice(request, SessionFlow.Mfa, out var device, out var error))
        {
            return error;
        }
        var (key, keyError) = await services.VerifyAsync(request, "key", TokenUse.MfaKey, device);
        if (key is null)
        {
            return keyError!;
        }

        var session = services.DeviceSession(device);
        var grant = await IdempotentRetry.CallAsync(() => session.RegenerateAsync(SessionFlow.Mfa, key.FamilyId, key.TokenId));
        services.Audit.Regenerated(device, SessionFlow.Mfa, grant);
        return services.Granted(device, grant, SessionFlow.Mfa);
    }

    public static async Task<EnvelopeResult> ExpireToken(AuthRequest request, AuthServices services)
    {
        if (!services.TryReadDevice(request, SessionFlow.Mfa, out var device, out var error))
        {
            return error;
        }
        var (token, tokenError) = await services.VerifyAsync(request, "token", TokenUse.UserToken, device);
        if (token is null)
        {
            return tokenError!;
        }

        var outcome = await services.DeviceSession(device).ExpireMfaFamilyAsync(token.FamilyId);
        services.Audit.FamilyExpired(device, token.FamilyId, outcome);
        return AuthServices.Acted(outcome, "Token expired successfully");
    }
}
