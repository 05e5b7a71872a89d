namespace Sessions.Grains.Contracts;

/// <summary>What happened to a customer's sessions (the support console's "why was I logged out?").</summary>
[GenerateSerializer, Alias("sessions.security-event-kind")]
public enum SecurityEventKind
{
    /// <summary>A factor passed and a new family started.</summary>
    Login = 0,

    /// <summary>An old key of a family was presented: the family was revoked (1525).</summary>
    KeyReuseDetected = 1,

    /// <summary>A family was revoked; <see cref="SecurityEvent.Reason"/> says why.</summary>
    FamilyRevoked = 2,

    PasswordChanged = 3,

    PasswordReset = 4,

    /// <summary>The customer moved to a new identifier value; <see cref="SecurityEvent.Detail"/> is the new value, masked.</summary>
    IdentifierChanged = 5,

    /// <summary>A family's key was presented with a proof by another device key (1561): a copied key.</summary>
    DeviceKeyMismatch = 6,

    /// <summary>
    /// Too many wrong codes or passwords locked the identifier (1550); <see cref="SecurityEvent.Detail"/> is until when. No
    /// device or flow: the lock holds across all of them.
    /// </summary>
    IdentifierLocked = 7,

    /// <summary>Support lifted the identifier's lock; <see cref="SecurityEvent.Detail"/> is the admin key's id (never the key).</summary>
    LockLifted = 8,

    /// <summary>
    /// The customer was erased, on their brand's request; <see cref="SecurityEvent.Detail"/> is the admin key's id. The only
    /// line their history keeps.
    /// </summary>
    CustomerErased = 9,
}

/// <summary>
/// One entry of a customer's security history: times from the grains' clock, identifiers masked as in the audit log,
/// never a secret. Repeats of the newest event are counted, not listed again (<see cref="Repeats"/>).
/// </summary>
[GenerateSerializer, Immutable, Alias("sessions.security-event")]
public sealed record SecurityEvent
{
    [Id(0)] public SecurityEventKind Kind { get; init; }

    [Id(1)] public DateTimeOffset At { get; init; }

    /// <summary>The identifier of the device session it happened on, masked.</summary>
    [Id(2)] public string Identifier { get; init; } = "";

    /// <summary>The device id, masked; "(web)" for the identifier's browsers.</summary>
    [Id(3)] public string Device { get; init; } = "";

    /// <summary>PRIMARY, MFA or WEB, for events about a family.</summary>
    [Id(4)] public string? Flow { get; init; }

    [Id(5)] public string? FamilyId { get; init; }

    /// <summary>For a login: otp or password.</summary>
    [Id(6)] public string? Factor { get; init; }

    /// <summary>Why a family was revoked (<see cref="RevocationReasons"/>).</summary>
    [Id(7)] public string? Reason { get; init; }

    /// <summary>
    /// For an identifier change: the new value, masked; for a lock: until when; for a lifted lock: the admin key's id.
    /// </summary>
    [Id(8)] public string? Detail { get; init; }

    /// <summary>How many times it happened in a row within a minute (a replaying thief, say).</summary>
    [Id(9)] public int Count { get; init; } = 1;

    /// <summary>
    /// Whether this repeats the newest event: the same, within a minute; or the same copied key tried again, or the same
    /// identifier locked again (however often a thief or a guesser tries, the history keeps one line for it while
    /// nothing else happens).
    /// </summary>
    public bool Repeats(SecurityEvent earlier) =>
        Kind == earlier.Kind && FamilyId == earlier.FamilyId && Reason == earlier.Reason && Device == earlier.Device && Identifier == earlier.Identifier
        && (At - earlier.At < TimeSpan.FromMinutes(1) || Kind is SecurityEventKind.DeviceKeyMismatch or SecurityEventKind.IdentifierLocked);
}

/// <summary>The names the admin API and the security events webhook give the kinds.</summary>
public static class SecurityEventKinds
{
    public static string Name(SecurityEventKind kind) => kind switch
    {
        SecurityEventKind.Login => "LOGIN",
        SecurityEventKind.KeyReuseDetected => "KEY_REUSE_DETECTED",
        SecurityEventKind.FamilyRevoked => "FAMILY_REVOKED",
        SecurityEventKind.PasswordChanged => "PASSWORD_CHANGED",
        SecurityEventKind.PasswordReset => "PASSWORD_RESET",
        SecurityEventKind.IdentifierChanged => "IDENTIFIER_CHANGED",
        SecurityEventKind.DeviceKeyMismatch => "DEVICE_KEY_MISMATCH",
        SecurityEventKind.IdentifierLocked => "IDENTIFIER_LOCKED",
        SecurityEventKind.LockLifted => "LOCK_LIFTED",
        SecurityEventKind.CustomerErased => "CUSTOMER_ERASED",
        _ => kind.ToString(),
    };

    /// <summary>
    /// Whether the kind may announce a theft or a takeover (a copied key, a changed password or identifier, a lock lifted
    /// at someone's request), or is an erasure the brand's systems must follow: rare, and what a brand must hear even when
    /// a silo dies while the event is on its way. A lock is not one: a guesser can cause one every LockMinutes, and the
    /// lock already stops them.
    /// </summary>
    public static bool IsAlarm(SecurityEventKind kind) => kind is SecurityEventKind.KeyReuseDetected or SecurityEventKind.DeviceKeyMismatch
        or SecurityEventKind.PasswordChanged or SecurityEventKind.PasswordReset or SecurityEventKind.IdentifierChanged or SecurityEventKind.LockLifted
        or SecurityEventKind.CustomerErased;
}

/// <summary>The reasons a family is revoked, as the audit log and the security history name them.</summary>
public static class RevocationReasons
{
    public const string Logout = "logout";
    public const string PasswordChanged = "password changed";
    public const string PasswordReset = "password reset";
    public const string IdentifierChanged = "identifier changed";
    public const string Administrator = "revoked by an administrator";
    public const string Customer = "signed out by the customer";
    public const string DeviceSessionLimit = "device-session limit";
    public const string KeyReuse = "key reuse detected";
    public const string CustomerErased = "customer erased";
}

/// <summary>Why an identifier was locked or unlocked, as the security history names it.</summary>
public static class LockReasons
{
    public const string TooManyFailures = "too many wrong codes or passwords";
    public const string Administrator = "lifted by an administrator";
}
