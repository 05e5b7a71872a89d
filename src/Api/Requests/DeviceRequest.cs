using System.Diagnostics.CodeAnalysis;
using System.Net;
using Sessions.Api.Envelope;
using Sessions.Grains;
using Sessions.Grains.Configuration;
using Sessions.Grains.Identity;

namespace Sessions.Api.Requests;

/// <summary>
/// The device session a request names (API.md §2), normalised, with its brand's settings. Where the device is
/// optional (the web, API.md §4.4) and absent, it is the identifier's web device session: <see cref="NoDevice"/>,
/// which no real device id can equal, and <c>"dev": null</c> in tokens.
/// </summary>
public sealed record DeviceRequest(Identifier Identifier, string DeviceId, BrandOptions Brand, IPAddress? ClientAddress)
{
    public const string NoDevice = "";

    public string GrainKey => GrainKeys.DeviceSession(Identifier, DeviceId);

    /// <summary>The <c>dev</c> header of this device's tokens: null for the web device session.</summary>
    public string? TokenDevice => DeviceId == NoDevice ? null : DeviceId;

    public static bool TryRead(AuthRequest request, SessionsOptions options, bool deviceOptional,
        [NotNullWhen(true)] out DeviceRequest? device, [NotNullWhen(false)] out EnvelopeResult? error)
    {
        device = null;
        if (request.Problem is { } problem)
        {
            error = problem;
            return false;
        }
        var deviceId = NoDevice;
        if (!request.TryRequired("brand", 64, out var brandName, out error)
            || !request.TryRequired("identifierType", 32, out var typeText, out error)
            || !request.TryRequired("identifierValue", 512, out var value, out error)
            || (!deviceOptional || request.Field("deviceId") is not null)
               && !request.TryRequiredText("deviceId", IdentifierRules.MaxDeviceIdLength, out deviceId, out error))
        {
            return false;
        }

        if (options.FindBrand(brandName) is not { } brand)
        {
            error = EnvelopeResult.Fail(AuthError.UnsupportedBrand);
            return false;
        }
        if (!IdentifierRules.TryParseType(typeText, out var type))
        {
            error = EnvelopeResult.Fail(AuthError.InvalidIdentifierType);
            return false;
        }
        if (type == IdentifierType.EXTERNALID && !brand.ExternalIdLoginEnabled)
        {
            error = EnvelopeResult.Fail(AuthError.ExternalIdLoginDisabled);
            return false;
        }
        if (IdentifierRules.NormalizeValue(type, value, out var reason) is not { } normalized)
        {
            error = EnvelopeResult.InvalidField("identifierValue", reason);
            return false;
        }
        if (deviceId != NoDevice && !IdentifierRules.IsValidDeviceId(deviceId))
        {
            error = EnvelopeResult.InvalidField("deviceId", "must be 1-128 printable characters");
            return false;
        }

        device = new DeviceRequest(new Identifier(brandName.ToUpperInvariant(), type, normalized), deviceId, brand, request.ClientAddress);
        return true;
    }
}
