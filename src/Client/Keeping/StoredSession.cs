using System.Text.Json.Serialization;

namespace Sessions.Client.Keeping;

/// <summary>Which regenerate a session's credential is for (API.md §4.1, §4.2, §4.4).</summary>
[JsonConverter(typeof(JsonStringEnumConverter<SessionFlow>))]
public enum SessionFlow
{
    /// <summary>A primary key from the first factor: <c>token/regenerate</c>.</summary>
    Primary,

    /// <summary>An MFA key: <c>mfa/token/regenerate</c>.</summary>
    Mfa,

    /// <summary>A web family, whose credential is the last token itself: <c>web/token/regenerate</c>.</summary>
    Web,
}

/// <summary>
/// One device session as the store keeps it. The store's copy is the truth every process sharing it reads again
/// before it regenerates; the format is versioned so that an app update can still read what an older version wrote.
/// </summary>
internal sealed record StoredSession
{
    public const int CurrentFormat = 1;

    public int Format { get; init; } = CurrentFormat;

    public required string Brand { get; init; }

    public required IdentifierType IdentifierType { get; init; }

    public required string IdentifierValue { get; init; }

    public string? DeviceId { get; init; }

    public required SessionFlow Flow { get; init; }

    /// <summary>The credential the next regenerate presents: the key, or for the web flow the last token.</summary>
    public required string Key { get; init; }

    public required string Token { get; init; }

    public required DateTimeOffset TokenExpiresAt { get; init; }

    /// <summary>The token's <c>iat</c>: how long it lives, which bounds how early its successor is fetched. Null in sessions stored before it was kept.</summary>
    public DateTimeOffset? TokenIssuedAt { get; init; }

    /// <summary>
    /// Written before a regenerate is sent, removed when its successor is stored: a session found with it was
    /// interrupted while its key may have been rotated, and may present <see cref="PendingRotation.Key"/> again only
    /// within the grace.
    /// </summary>
    public PendingRotation? Pending { get; init; }

    /// <summary>Server time minus this device's clock, from the last answer's <c>Date</c> header.</summary>
    public TimeSpan ClockOffset { get; init; }

    /// <summary>Where the device key is found again (<see cref="DeviceKeys.IDeviceKey.Handle"/>); null for a bearer session.</summary>
    public string? DeviceKeyHandle { get; init; }

    [JsonIgnore]
    public DeviceIdentity Identity => new(IdentifierType, IdentifierValue, DeviceId);
}

/// <param name="Key">The credential that was sent.</param>
/// <param name="SentAt">Server time (estimated) when it was first sent; the grace runs from no earlier than this.</param>
internal sealed record PendingRotation(string Key, DateTimeOffset SentAt);
