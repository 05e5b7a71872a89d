using Sessions.Api.Envelope;
using Sessions.Api.Requests;
using Sessions.Api.Tokens;
using Sessions.Grains;
using Sessions.Grains.Contracts;

namespace Sessions.Api.Endpoints;

/// <summary>
/// The handlers of every <c>/auth/v1</c> login endpoint, for both flows (first factor, MFA) and both channels
/// (app, browser): the endpoint files only map routes to them with the flow and channel they serve.
/// </summary>
public static class AuthHandlers
{
    /// <summary><c>token/generate</c>, <c>web/token/generate</c>: a login session and its VIEW token.</summary>
    public static async Task<EnvelopeResult> OpenLoginAsync(AuthRequest request, AuthServices services, Channel channel)
    {
        if (!services.TryReadDevice(request, SessionFlow.Login, channel, out var device, out var error))
        {
            return error;
        }
        if (PasswordRules.TryReadOptionalPassword(request, device.Brand, mfa: false, out var password) is { } passwordError)
        {
            return passwordError;
        }

        var opened = await services.DeviceSession(device).OpenLoginSessionAsync(channel, password);
        return services.Opened(device, opened);
    }

    /// <summary>
    /// <c>mfa/token/generate</c>: an MFA session for the second-factor identifier, authorised by a first-factor token
    /// of a family that still lives. It belongs to the channel of that token, so that a browser's MFA ends in a web
    /// family and an app's in an MFA key.
    /// </summary>
    public static async Task<EnvelopeResult> OpenMfaAsync(AuthRequest request, AuthServices services)
    {
        if (!services.TryReadDevice(request, SessionFlow.Mfa, Channel.Mobile, out var device, out var error))
        {
            return error;
        }
        // A login step, not an account call: what it opens still needs the second factor, so a bound first factor's token
        // needs no proof here (README, "Device-bound keys").
        var (authorized, tokenError) = services.Verify(request, "authorizedToken", TokenUse.AuthorizedToken, device);
        if (authorized is null)
        {
            return tokenError!;
        }
        if (PasswordRules.TryReadOptionalPassword(request, device.Brand, mfa: true, out var password) is { } passwordError)
        {
            return passwordError;
        }

        var opened = await services.DeviceSession(device).OpenMfaSessionAsync(authorized.Channel, authorized.Family, password);
        return services.Opened(device, opened);
    }

    public static async Task<EnvelopeResult> SendOtpAsync(AuthRequest request, AuthServices services, SessionFlow flow, Channel channel)
    {
        if (!services.TryReadDevice(request, flow, channel, out var device, out var error)
            || !request.TryRequired("sessionId", 64, out var sessionId, out error))
        {
            return error;
        }

        var outcome = await services.DeviceSession(device).SendOtpAsync(flow, sessionId);
        services.Audit.OtpRequested(device, flow, outcome);
        return AuthServices.Acted(outcome);
    }

    public static async Task<EnvelopeResult> ValidateOtpAsync(AuthRequest request, AuthServices services, SessionFlow flow, Channel channel)
    {
        if (!services.TryReadDevice(request, flow, channel, out var device, out var error)
            || !request.TryRequired("sessionId", 64, out var sessionId, out error)
            || !request.TryOtp(device.Brand.Otp.Length, out var otp, out error)
            || !services.TryReadProof(request, device, out var proof, out error))
        {
            return error;
        }

        var grant = await services.DeviceSession(device).ValidateOtpAsync(flow, sessionId, otp, proof);
        services.Audit.Authenticated(device, flow, "otp", grant.Error);
        return services.Granted(device, grant, flow);
    }

    public static async Task<EnvelopeResult> ValidatePasswordAsync(AuthRequest request, AuthServices services, SessionFlow flow, Channel channel)
    {
        if (!services.TryReadDevice(request, flow, channel, out var device, out var error)
            || !request.TryRequired("sessionId", 64, out var sessionId, out error)
            || !request.TryRequired("password", FieldReader.MaxSecretLength, out var password, out error)
            || !services.TryReadProof(request, device, out var proof, out error))
        {
            return error;
        }

        var grant = await services.DeviceSession(device).ValidatePasswordAsync(flow, sessionId, password, proof);
        services.Audit.Authenticated(device, flow, "password", grant.Error);
        return services.Granted(device, grant, flow, withIdentifiers: true);
    }

    /// <summary>
    /// <c>token/regenerate</c> and <c>mfa/token/regenerate</c> with a key; <c>web/token/regenerate</c> with the last
    /// web token (expired or not). Idempotent within the reuse grace, so retried on a transient failure; not with a
    /// device proof, whose id the lost first try may have recorded (the client retries with a fresh proof on 1599).
    /// </summary>
    public static async Task<EnvelopeResult> RegenerateAsync(AuthRequest request, AuthServices services, SessionFlow flow, Channel channel)
    {
        if (!services.TryReadDevice(request, flow, channel, out var device, out var error))
        {
            return error;
        }
        var (field, use) = channel == Channel.Web ? ("expiredToken", TokenUse.WebToken)
            : flow == SessionFlow.Mfa ? ("key", TokenUse.MfaKey)
            : ("key", TokenUse.PrimaryKey);
        var (credential, credentialError) = services.Verify(request, field, use, device);
        if (credential is null)
        {
            return credentialError!;
        }
        if (!services.TryReadProof(request, device, out var proof, out error))
        {
            return error;
        }

        var session = services.DeviceSession(device);
        Task<Grant> Exchange() => channel == Channel.Web
            ? session.RegenerateWebAsync(credential.FamilyId, credential.TokenId, proof)
            : session.RegenerateAsync(flow, credential.FamilyId, credential.TokenId, proof);
        var grant = proof is null ? await services.Retry.CallAsync(Exchange) : await Exchange();
        services.Audit.Regenerated(device, flow, grant);
        return services.Granted(device, grant, flow);
    }

    /// <summary><c>mfa/token/expire</c>: logout, the device session's MFA key family revoked.</summary>
    public static async Task<EnvelopeResult> ExpireAsync(AuthRequest request, AuthServices services)
    {
        if (!services.TryReadDevice(request, SessionFlow.Mfa, Channel.Mobile, out var device, out var error))
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
