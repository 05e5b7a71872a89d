namespace Sessions.Grains.Contracts;

/// <summary>
/// One customer of a brand (key from <see cref="Identity.GrainKeys.Customer"/>): credentials, MFA history and the
/// device sessions that hold its key families. It never calls a device session itself (a device session calls
/// it, so that would be a cycle); it hands back which device sessions the caller must revoke.
/// </summary>
[Alias("sessions.customer")]
public interface ICustomerGrain : IGrainWithStringKey
{
    [Alias("profile"), ReadOnly]
    Task<CustomerProfile> GetProfileAsync();

    /// <summary>What support may see of the customer: what they set up, their identifiers, their last login; null when no one ever created them.</summary>
    [Alias("describe"), ReadOnly]
    Task<CustomerDescription?> DescribeAsync();

    /// <summary>The password hash of <paramref name="kind"/>, for the caller to verify off this grain's turn; null when there is none.</summary>
    [Alias("password-hash"), ReadOnly]
    Task<string?> GetPasswordHashAsync(PasswordKind kind);

    /// <summary>Replaces a hash that needed an upgrade, unless the password changed meanwhile (<paramref name="verifiedHash"/> is no longer current).</summary>
    [Alias("upgrade-password-hash")]
    Task UpgradePasswordHashAsync(PasswordKind kind, string verifiedHash, string upgradedHash);

    /// <summary>
    /// Records a passed first factor on a device session; sets the primary password if there is none yet. Answers
    /// the device sessions beyond the brand's MaxDeviceSessions, which the caller must revoke.
    /// </summary>
    [Alias("first-factor")]
    Task<FactorCompleted> CompleteFirstFactorAsync(string? pendingPasswordHash, string deviceSessionKey);

    /// <summary>
    /// Records a passed second factor on a device session; sets the MFA password if there is none yet.
    /// <paramref name="enrolling"/>: the second factor is an identifier not yet linked to the customer, which only a
    /// customer who never completed MFA may enrol (API.md §4.2); refused otherwise.
    /// </summary>
    [Alias("second-factor")]
    Task<FactorCompleted> CompleteSecondFactorAsync(string? pendingMfaPasswordHash, string deviceSessionKey, bool enrolling);

    /// <summary>
    /// Replaces a password the caller verified against <paramref name="verifiedHash"/>; 1528 if it changed meanwhile.
    /// Answers the device sessions to revoke.
    /// </summary>
    [Alias("change-password")]
    Task<PasswordChanged> ChangePasswordAsync(PasswordKind kind, string verifiedHash, string newPasswordHash);

    /// <summary>Sets a password without the current one (the caller checked an OTP); answers the device sessions to revoke.</summary>
    [Alias("reset-password")]
    Task<PasswordChanged> ResetPasswordAsync(PasswordKind kind, string newPasswordHash);

    /// <summary>The device sessions that may hold the customer's families, least recently logged in first, as of a login sequence.</summary>
    [Alias("list-device-sessions"), ReadOnly]
    Task<DeviceSessionList> ListDeviceSessionsAsync();

    /// <summary>
    /// Drops device sessions that hold no live family of this customer any more, unless a login after
    /// <paramref name="asOf"/> (the <see cref="DeviceSessionList.AsOf"/> the caller acted on) renewed them.
    /// </summary>
    [Alias("forget-device-sessions")]
    Task ForgetDeviceSessionsAsync(IReadOnlyList<string> deviceSessionKeys, long asOf);

    [Alias("identifier-moved")]
    Task<DeviceSessionList> IdentifierMovedAsync(string oldIdentifierKey, string newIdentifierKey);

    /// <summary>
    /// The first step of erasing the customer (<see cref="ICustomerErasureGrain"/>): from here on no login, second factor
    /// or password change completes for them, and their password hashes are gone. Answers what still links to them,
    /// which the caller revokes and releases; the same again on a retry, until <see cref="CompleteErasureAsync"/>. Until
    /// then a reminder asks for the erasure again every minute, so that one cut short by a crash is finished.
    /// <see cref="CustomerErasure.Found"/> is false, and nothing is written, for a customer no one ever created.
    /// </summary>
    [Alias("begin-erasure")]
    Task<CustomerErasure> BeginErasureAsync(string erasedBy);

    /// <summary>The last step: every link was revoked or released, so the customer forgets them; the time of erasure stays.</summary>
    [Alias("complete-erasure")]
    Task CompleteErasureAsync();
}

/// <summary>A customer as support sees them: never a hash, the identifiers as keys for the caller to mask.</summary>
[GenerateSerializer, Immutable, Alias("sessions.customer-description")]
public sealed record CustomerDescription
{
    [Id(0)] public CustomerProfile Profile { get; init; } = new();
    [Id(1)] public IReadOnlyList<string> Identifiers { get; init; } = [];

    /// <summary>The device sessions the customer lists: at most the brand's MaxDeviceSessions.</summary>
    [Id(2)] public int DeviceSessions { get; init; }

    [Id(3)] public DateTimeOffset? LastLoginAt { get; init; }
    [Id(4)] public DateTimeOffset? ErasedAt { get; init; }
}

/// <summary>What an erasure has left to undo: the device sessions that may hold the customer's families, and the identifiers linked to them.</summary>
[GenerateSerializer, Immutable, Alias("sessions.customer-erasure-progress")]
public sealed record CustomerErasure
{
    [Id(0)] public bool Found { get; init; }
    [Id(1)] public DateTimeOffset ErasedAt { get; init; }
    [Id(2)] public IReadOnlyList<string> DeviceSessions { get; init; } = [];

    /// <summary>Identifier keys the customer owns, and those moved away from them that still name them.</summary>
    [Id(3)] public IReadOnlyList<string> Identifiers { get; init; } = [];

    /// <summary>An earlier call finished the erasure: nothing is left to undo.</summary>
    [Id(4)] public bool Completed { get; init; }

    /// <summary>Who asked first (an admin key's id): the history line names them, whoever finishes it.</summary>
    [Id(5)] public string ErasedBy { get; init; } = "";

    public static CustomerErasure NotFound { get; } = new();
}

[GenerateSerializer, Alias("sessions.password-kind")]
public enum PasswordKind
{
    Primary,
    Mfa,
}

[GenerateSerializer, Immutable, Alias("sessions.customer-profile")]
public sealed record CustomerProfile
{
    [Id(0)] public bool HasPassword { get; init; }
    [Id(1)] public bool HasMfaPassword { get; init; }
    [Id(2)] public bool MfaCompleted { get; init; }
}

[GenerateSerializer, Immutable, Alias("sessions.factor-completed")]
public sealed record FactorCompleted
{
    [Id(0)] public CustomerProfile Profile { get; init; } = new();
    [Id(1)] public IReadOnlyList<string> EvictedDeviceSessions { get; init; } = [];

    /// <summary>This login's sequence number: forgetting the evicted as of it keeps any that logged in since.</summary>
    [Id(2)] public long AsOf { get; init; }

    /// <summary>The login must not complete: 1505 when the device session's identifier moved away from the customer, 1519 when an enrolment came too late.</summary>
    [Id(3)] public AuthError Refusal { get; init; }

    /// <summary>Refused because the customer was erased: the identifier that still names them is released, and the login starts a new customer.</summary>
    [Id(4)] public bool CustomerErased { get; init; }

    public bool IsRefused => Refusal != AuthError.None;

    public static FactorCompleted Refused(AuthError refusal) => new() { Refusal = refusal };

    public static FactorCompleted Erased { get; } = new() { Refusal = AuthError.InvalidSession, CustomerErased = true };
}

/// <summary>A customer's device sessions, and the login sequence they were read at: what a later forget may drop.</summary>
[GenerateSerializer, Immutable, Alias("sessions.device-session-list")]
public sealed record DeviceSessionList
{
    [Id(0)] public IReadOnlyList<string> Keys { get; init; } = [];
    [Id(1)] public long AsOf { get; init; }
}

[GenerateSerializer, Immutable, Alias("sessions.password-changed")]
public sealed record PasswordChanged
{
    [Id(0)] public AuthError Error { get; init; }
    [Id(1)] public IReadOnlyList<string> DeviceSessions { get; init; } = [];

    /// <summary>The customer's login sequence when the list was taken: what a later forget may drop.</summary>
    [Id(2)] public long AsOf { get; init; }
}
