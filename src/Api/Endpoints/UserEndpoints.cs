using Sessions.Api.Envelope;
using Sessions.Api.OpenApi;
using Sessions.Api.Requests;
using Sessions.Api.Security;
using Sessions.Api.Tokens;
using Sessions.Grains;
using Sessions.Grains.Identity;

namespace Sessions.Api.Endpoints;

/// <summary>The customer's own account (API.md §4.4): changing the phone number or e-mail address.</summary>
public static class UserEndpoints
{
    public static RouteGroupBuilder MapUser(this IEndpointRouteBuilder routes)
    {
        var group = routes.MapGroup("/auth/v1/user").WithTags("Account").RequireRateLimiting(RateLimiting.AuthPolicy).OpenToBrandWebsites();
        group.MapPost("/updateIdentifierValue", UpdateIdentifierValueAsync).WithName("UpdateIdentifierValue")
            .Documented<UpdateIdentifierRequest>("Move the customer from the identifier to a new value of the same type; revokes every family under the old one", Errors.ChangeIdentifier);
        return group;
    }

    /// <summary>
    /// The change is the device session's to make: it checks that the token's family still lives (and, where the brand
    /// requires it, that a recent login starts the change), proves the new value with an OTP (the brand's
    /// VerifyNewValue), moves the link crash-safely and revokes every family under the old value. A failure half-way
    /// answers 1599; the client's retry with the same OTP finishes the job.
    /// </summary>
    public static async Task<EnvelopeResult> UpdateIdentifierValueAsync(AuthRequest request, AuthServices services)
    {
        if (!services.TryReadDevice(request, deviceOptional: true, out var device, out var error))
        {
            return error;
        }
        var (token, tokenError) = await services.VerifyAsync(request, "token", TokenUse.AnyUserToken, device);
        if (token is null)
        {
            return tokenError!;
        }
        if (!request.TryRequired("newIdentifierValue", 512, out var newText, out error))
        {
            return error;
        }
        string? otp = null;
        if (request.Field("otp") is not null && !request.TryOtp(device.Brand.Otp.Length, out otp, out error))
        {
            return error;
        }
        if (IdentifierRules.NormalizeValue(device.Identifier.Type, newText, out var reason) is not { } newValue)
        {
            return EnvelopeResult.InvalidField("newIdentifierValue", reason);
        }
        var newIdentifier = device.Identifier with { Value = newValue };
        if (newValue == device.Identifier.Value)
        {
            services.Audit.IdentifierChanged(device, newIdentifier, AuthError.InvalidDetails);
            return InUse();
        }

        var changed = await services.DeviceSession(device).ChangeIdentifierAsync(token.Family, newValue, otp);
        services.Audit.IdentifierChanged(device, newIdentifier, changed.Error, changed.OtpSent);
        return changed switch
        {
            { OtpSent: true } => EnvelopeResult.Done("OTP sent to the new identifier value."),
            { Error: AuthError.None } => EnvelopeResult.Done("SUCCESS"),
            { Error: AuthError.InvalidDetails } => InUse(),
            _ => EnvelopeResult.Fail(changed.Error, retryAfter: changed.RetryAfter),
        };
    }

    private static EnvelopeResult InUse() => EnvelopeResult.InvalidField("newIdentifierValue", "is already in use");
}
