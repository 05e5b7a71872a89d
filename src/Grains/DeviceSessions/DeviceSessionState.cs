using Sessions.Grains.Contracts;

namespace Sessions.Grains.DeviceSessions;

/// <summary>Everything one device session remembers. Written as one record, so every decision commits atomically.</summary>
[GenerateSerializer, Alias("sessions.device-session-state")]
public sealed class DeviceSessionState
{
    [Id(0)] public PendingSession? Login { get; set; }
    [Id(1)] public PendingSession? Mfa { get; set; }
    [Id(2)] public KeyFamily? LoginFamily { get; set; }
    [Id(3)] public KeyFamily? MfaFamily { get; set; }

    public PendingSession? Session(SessionFlow flow) => flow == SessionFlow.Login ? Login : Mfa;

    public void SetSession(SessionFlow flow, PendingSession? session)
    {
        if (flow == SessionFlow.Login) Login = session; else Mfa = session;
    }

    public KeyFamily? Family(SessionFlow flow) => flow == SessionFlow.Login ? LoginFamily : MfaFamily;

    public void SetFamily(SessionFlow flow, KeyFamily family)
    {
        if (flow == SessionFlow.Login) LoginFamily = family; else MfaFamily = family;
    }
}

/// <summary>An open login or MFA session (<c>P-&lt;uuid&gt;</c>) and the OTP it is waiting for, if any.</summary>
[GenerateSerializer, Immutable, Alias("sessions.pending-session")]
public sealed record PendingSession
{
    [Id(0)] public string Id { get; init; } = "";
    [Id(1)] public DateTimeOffset ExpiresAt { get; init; }

    /// <summary>MFA sessions: the customer that passed the first factor.</summary>
    [Id(2)] public string? CustomerId { get; init; }

    /// <summary>The password hash to set when the session succeeds (first-time password set-up).</summary>
    [Id(3)] public string? PendingPasswordHash { get; init; }

    [Id(4)] public byte[]? OtpHash { get; init; }
    [Id(5)] public DateTimeOffset OtpExpiresAt { get; init; }
    [Id(6)] public int OtpFailures { get; init; }
    [Id(7)] public int PasswordFailures { get; init; }
}

/// <summary>
/// A key family (<c>sid</c>): the chain of keys one successful validate started. Keys are kept only by id (jti),
/// never as usable keys; the previous id and the time it was rotated away give the retry grace.
/// </summary>
[GenerateSerializer, Immutable, Alias("sessions.key-family")]
public sealed record KeyFamily
{
    [Id(0)] public string Id { get; init; } = "";
    [Id(1)] public string CustomerId { get; init; } = "";
    [Id(2)] public SessionRole Role { get; init; }
    [Id(3)] public DateTimeOffset CreatedAt { get; init; }
    [Id(4)] public DateTimeOffset LastUsedAt { get; init; }
    [Id(5)] public IssuedKey CurrentKey { get; init; } = null!;
    [Id(6)] public string? PreviousKeyId { get; init; }
    [Id(7)] public DateTimeOffset? RotatedAt { get; init; }
    [Id(8)] public DateTimeOffset? RevokedAt { get; init; }
    [Id(9)] public bool RevokedForReuse { get; init; }

    public bool IsRevoked => RevokedAt is not null;
}
