using System.Text.Json.Serialization;

namespace Sessions.Client;

/// <summary>The kinds of identifier a customer logs in with (API.md §2).</summary>
[JsonConverter(typeof(JsonStringEnumConverter<IdentifierType>))]
public enum IdentifierType
{
    Mobile,
    Email,
    Username,
    ExternalId,
}

/// <summary>
/// Who logs in, and on which device: an identifier and the app's device id (API.md §2). A browser, or the web flow,
/// has no device id.
/// </summary>
/// <param name="IdentifierType">The kind of identifier.</param>
/// <param name="IdentifierValue">The phone number, e-mail address, user name or external id, as the customer typed it.</param>
/// <param name="DeviceId">The app's stable id for this installation; null for the web flow.</param>
public sealed record DeviceIdentity(IdentifierType IdentifierType, string IdentifierValue, string? DeviceId)
{
    /// <summary>A phone number on a device.</summary>
    public static DeviceIdentity Mobile(string phoneNumber, string? deviceId) => new(IdentifierType.Mobile, phoneNumber, deviceId);

    /// <summary>An e-mail address on a device.</summary>
    public static DeviceIdentity Email(string address, string? deviceId) => new(IdentifierType.Email, address, deviceId);

    internal string WireType => IdentifierType switch
    {
        IdentifierType.Mobile => "MOBILE",
        IdentifierType.Email => "EMAIL",
        IdentifierType.Username => "USERNAME",
        IdentifierType.ExternalId => "EXTERNALID",
        _ => throw new ArgumentOutOfRangeException(nameof(IdentifierType), IdentifierType, "Not an identifier type."),
    };
}
