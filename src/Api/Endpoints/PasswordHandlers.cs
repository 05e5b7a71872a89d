using Sessions.Api.Envelope;
using Sessions.Api.Requests;
using Sessions.Api.Tokens;
using Sessions.Grains;
using Sessions.Grains.Contracts;

namespace Sessions.Api.Endpoints;

/// <summary>
/// <c>password/change</c> and <c>password/forget</c>, their MFA twins and their web twins (API.md §4.1, §4.2, §4.4):
/// the same rules for the primary and the MFA password, from the app or a browser.
/// </summary>
public static class PasswordHandlers
{
    /// <summary>The password change, with a USER token of a family that still lives (API.md §3); the current password is checked like a login's.</summary>
    public static async Task<EnvelopeResult> ChangeAsync(AuthRequest request, AuthServices services, SessionFlow flow, Channel channel)
    {
        var mfa = flow == SessionFlow.Mfa;
        if (!services.TryReadDevice(request, flow, channel, out var device, out var error))
        {
            return error;
        }
        var web = channel == Channel.Web;
        var (token, tokenError) = await services.VerifyAsync(request, "token", web ? TokenUse.WebUserToken : TokenUse.UserToken, device);
        if (token is null)
        {
            return tokenError!;
        }
        if (!request.TryRequired("password", FieldReader.MaxSecretLength, out var current, out error)
            || !request.TryRequired("newPassword", FieldReader.MaxSecretLength, out var replacement, out error))
        {
            return error;
        }
        if (!PasswordRules.IsEnabled(device.Brand, mfa))
        {
            return EnvelopeResult.Fail(AuthError.PasswordNotEnabled);
        }
        if (current == replacement)
        {
            return EnvelopeResult.Fail(AuthError.PasswordUnchanged);
        }
        if (PasswordRules.TryReadNewPassword(request, "newPassword", device.Brand, mfa, out var newPassword) is { } passwordError)
        {
            return passwordError;
        }

        var kind = mfa ? PasswordKind.Mfa : PasswordKind.Primary;
        var outcome = await services.DeviceSession(device).ChangePasswordAsync(kind, token.Family, current, newPassword!);
        services.Audit.PasswordChanged(device, flow, "changed", outcome);
        return AuthServices.Acted(outcome);
    }

    /// <summary>The reset: nothing is hashed before the session and its OTP have passed (API.md §7).</summary>
    public static async Task<EnvelopeResult> ForgetAsync(AuthRequest request, AuthServices services, SessionFlow flow, Channel channel)
    {
        if (!services.TryReadDevice(request, flow, channel, out var device, out var error)
            || !request.TryRequired("sessionId", 64, out var sessionId, out error))
        {
            return error;
        }
        string? otp = null;
        if (!device.Brand.SkipOtpOnReset && !request.TryOtp(device.Brand.Otp.Length, out otp, out error))
        {
            return error;
        }
        if (PasswordRules.TryReadNewPassword(request, "password", device.Brand, flow == SessionFlow.Mfa, out var newPassword) is { } passwordError)
        {
            return passwordError;
        }

        var outcome = await services.DeviceSession(device).ResetPasswordAsync(flow, sessionId, otp, newPassword!);
        services.Audit.PasswordChanged(device, flow, "reset", outcome);
        return AuthServices.Acted(outcome);
    }
}
