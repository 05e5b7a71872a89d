using Sessions.Grains.Identity;

namespace Sessions.Grains.Contracts;

[GenerateSerializer, Alias("sessions.otp-purpose")]
public enum OtpPurpose
{
    LOGIN,
    MFA,
    RESET,

    /// <summary>Proof of a new identifier value before the customer moves there (API.md §4.4).</summary>
    CHANGE,
}

/// <summary>An OTP on its way to the customer. Only the senders ever see <see cref="Code"/>.</summary>
[GenerateSerializer, Immutable, Alias("sessions.otp-message")]
public sealed record OtpMessage
{
    [Id(0)] public Identifier Identifier { get; init; } = null!;
    [Id(1)] public string DeviceId { get; init; } = "";
    [Id(2)] public OtpPurpose Purpose { get; init; }
    [Id(3)] public string Code { get; init; } = "";
    [Id(4)] public DateTimeOffset ExpiresAt { get; init; }

    // Keeps the code out of logs and exception messages that print the record.
    public override string ToString() => $"OtpMessage {{ {Identifier.Type}, {Purpose}, expires {ExpiresAt:O} }}";
}
