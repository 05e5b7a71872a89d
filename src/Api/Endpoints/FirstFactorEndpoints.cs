using Sessions.Api.Envelope;
using Sessions.Api.OpenApi;
using Sessions.Api.Requests;
using Sessions.Api.Security;
using Sessions.Api.Tokens;
using Sessions.Grains.Contracts;

namespace Sessions.Api.Endpoints;

/// <summary>The first factor (API.md §4.1): login session, OTP or password, and primary-key regeneration.</summary>
public static class FirstFactorEndpoints
{
    public static RouteGroupBuilder MapFirstFactor(this IEndpointRouteBuilder routes)
    {
        var group = routes.MapGroup("/auth/v1").WithTags("First factor").RequireRateLimiting(RateLimiting.AuthPolicy);
        group.MapPost("/token/generate", GenerateToken).WithName("GenerateToken")
            .Documented<TokenGenerateRequest>("Open a login session (VIEW token + sessionId)", Errors.SetPassword);
        group.MapPost("/otp/generate", GenerateOtp).WithName("GenerateOtp").RequireRateLimiting(RateLimiting.OtpPolicy)
            .Documented<SessionRequest>("Send an OTP for the login session", Errors.SendOtp);
        group.MapPost("/otp/validate", ValidateOtp).WithName("ValidateOtp")
            .Documented<OtpValidateRequest>("Validate the OTP: USER or MFA_PENDING token and primary key", Errors.CheckOtp);
        group.MapPost("/password/validate", ValidatePassword).WithName("ValidatePassword")
            .Documented<PasswordValidateRequest>("Validate the password: USER or MFA_PENDING token and primary key", Errors.CheckPassword);
        group.MapPost("/token/regenerate", RegenerateToken).WithName("RegenerateToken")
            .Documented<KeyRequest>("Exchange a primary key for a new token (and the rotated key)", Errors.Regenerate);
        group.MapPost("/password/change", (AuthRequest request, AuthServices services) => PasswordHandlers.ChangeAsync(request, services, SessionFlow.Login))
            .WithName("ChangePassword").Documented<PasswordChangeRequest>("Change the password; revokes keys on other devices", Errors.ChangePassword);
        group.MapPost("/password/forget", (AuthRequest request, AuthServices services) => PasswordHandlers.ForgetAsync(request, services, SessionFlow.Login))
            .WithName("ForgetPassword").Documented<PasswordForgetRequest>("Reset the password with the session's OTP; revokes every key", Errors.ResetPassword);
        return group;
    }

    public static async Task<EnvelopeResult> GenerateToken(AuthRequest request, AuthServices services)
    {
        if (!services.TryReadDevice(request, SessionFlow.Login, out var device, out var error))
        {
            return error;
        }
        if (PasswordRules.TryHashOptionalPassword(request, device.Brand, mfa: false, out var passwordHash) is { } passwordError)
        {
            return passwordError;
        }

        var opened = await services.DeviceSession(device).OpenLoginSessionAsync(passwordHash);
        return services.Opened(device, opened);
    }

    public static async Task<EnvelopeResult> GenerateOtp(AuthRequest request, AuthServices services)
    {
        if (!services.TryReadDevice(request, SessionFlow.Login, out var device, out var error)
            || !request.TryRequired("sessionId", 64, out var sessionId, out error))
        {
            return error;
        }

        var outcome = await services.DeviceSession(device).SendOtpAsync(SessionFlow.Login, sessionId);
        services.Audit.OtpRequested(device, SessionFlow.Login, outcome);
        return AuthServices.Acted(outcome);
    }

    public static async Task<EnvelopeResult> ValidateOtp(AuthRequest request, AuthServices services)
    {
        if (!services.TryReadDevice(request, SessionFlow.Login, out var device, out var error)
            || !request.TryRequired("sessionId", 64, out var sessionId, out error)
            || !request.TryOtp(device.Brand.Otp.Length, out var otp, out error))
        {
            return error;
        }

        var grant = await services.DeviceSession(device).ValidateOtpAsync(SessionFlow.Login, sessionId, otp);
        services.Audit.Authenticated(device, SessionFlow.Login, "otp", grant.Error);
        return services.Granted(device, grant, SessionFlow.Login);
    }

    public static async Task<EnvelopeResult> ValidatePassword(AuthRequest request, AuthServices services)
    {
        if (!services.TryReadDevice(request, SessionFlow.Login, out var device, out var error)
            || !request.TryRequired("sessionId", 64, out var sessionId, out error)
            || !request.TryRequired("password", FieldReader.MaxSecretLength, out var password, out error))
        {
            return error;
        }

        var grant = await services.DeviceSession(device).ValidatePasswordAsync(SessionFlow.Login, sessionId, password);
        services.Audit.Authenticated(device, SessionFlow.Login, "password", grant.Error);
        return services.Granted(device, grant, SessionFlow.Login, withIdentifiers: true);
    }

    public static async Task<EnvelopeResult> RegenerateToken(AuthRequest request, AuthServices services)
    {
        if (!services.TryReadDevice(request, SessionFlow.Login, out var device, out var error))
        {
            return error;
        }
        var (key, keyError) = await services.VerifyAsync(request, "key", TokenUse.PrimaryKey, device);
        if (key is null)
        {
            return keyError!;
        }

        var session = services.DeviceSession(device);
        var grant = await IdempotentRetry.CallAsync(() => session.RegenerateAsync(SessionFlow.Login, key.FamilyId, key.TokenId));
        services.Audit.Regenerated(device, SessionFlow.Login, grant);
        return services.Granted(device, grant, SessionFlow.Login);
    }
}
