using Microsoft.Extensions.Options;
using Sessions.Api.Envelope;
using Sessions.Grains;
using Sessions.Grains.Configuration;
using Sessions.Grains.Contracts;
using Sessions.Grains.Identity;

namespace Sessions.Api.Endpoints;

/// <summary>Development only: <c>GET /dev/otp</c> shows the newest OTP sent to an identifier (API.md §7).</summary>
public static class DevOutboxEndpoints
{
    public static IEndpointRouteBuilder MapDevOutbox(this IEndpointRouteBuilder routes)
    {
        var options = routes.ServiceProvider.GetRequiredService<IOptions<SessionsOptions>>().Value;
        if (options.Otp.Sender == OtpSenderKind.DevOutbox)
        {
            routes.MapGet("/dev/otp", GetLatestOtp).WithTags("Development").ExcludeFromDescription();
        }
        return routes;
    }

    public static async Task<IResult> GetLatestOtp(string? brand, string? identifierType, string? identifierValue,
        IGrainFactory grains, IOptions<SessionsOptions> options)
    {
        if (string.IsNullOrEmpty(brand) || options.Value.FindBrand(brand) is null)
        {
            return EnvelopeResult.Fail(AuthError.UnsupportedBrand);
        }
        if (identifierType is null || !IdentifierRules.TryParseType(identifierType, out var type))
        {
            return EnvelopeResult.Fail(AuthError.InvalidIdentifierType);
        }
        if (string.IsNullOrEmpty(identifierValue))
        {
            return EnvelopeResult.InvalidField("identifierValue", "is required");
        }
        if (IdentifierRules.NormalizeValue(type, identifierValue, out var reason) is not { } value)
        {
            return EnvelopeResult.InvalidField("identifierValue", reason);
        }

        var identifier = new Identifier(brand.ToUpperInvariant(), type, value);
        var latest = await grains.GetGrain<IDevOutboxGrain>(GrainKeys.Identifier(identifier)).GetLatestAsync();
        return latest is null
            ? EnvelopeResult.Transport(StatusCodes.Status404NotFound, "No OTP has been sent to this identifier.")
            : TypedResults.Json(new DevOutboxEntry(latest.Code, latest.Purpose.ToString(), latest.DeviceId, latest.ExpiresAt), EnvelopeJson.Default.DevOutboxEntry);
    }
}
