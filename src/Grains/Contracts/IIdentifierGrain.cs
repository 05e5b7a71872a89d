namespace Sessions.Grains.Contracts;

/// <summary>
/// One identifier of a brand (key from <see cref="Identity.GrainKeys.Identifier"/>): which customer owns it, and the
/// limits that hold across all its devices and sessions (API.md §7): open logins, OTP sends per window, credential
/// checks, failures and the lock. Being one grain, its counters are exact however many requests arrive at once.
/// </summary>
[Alias("sessions.identifier")]
public interface IIdentifierGrain : IGrainWithStringKey
{
    [Alias("get-customer")]
    Task<string?> GetCustomerIdAsync();

    /// <summary>Returns the owning customer, creating one on the identifier's first successful first factor.</summary>
    [Alias("ensure-customer")]
    Task<string> EnsureCustomerIdAsync();

    /// <summary>Links the identifier to <paramref name="customerId"/>; false when another customer owns it.</summary>
    [Alias("link")]
    Task<bool> LinkAsync(string customerId);

    /// <summary>
    /// Holds a place for an open, unvalidated session of <paramref name="holder"/> (a device session, or one browser's
    /// session) until <paramref name="expiresAt"/>: at most the brand's MaxOpenLogins at once (1534 beyond, with
    /// Retry-After). Answers the owning customer too, which opening a session needs.
    /// </summary>
    [Alias("reserve-open-login")]
    Task<OpenLoginReservation> ReserveOpenLoginAsync(string holder, DateTimeOffset expiresAt);

    /// <summary>The holder's session completed or ended: its place is free again.</summary>
    [Alias("release-open-login")]
    Task ReleaseOpenLoginAsync(string holder);

    /// <summary>Takes one OTP send from the window; refused while locked or when the window is used up.</summary>
    [Alias("reserve-send")]
    Task<Outcome> TryReserveOtpSendAsync();

    /// <summary>Gives a reserved send back: the delivery failed, and a failed delivery does not count.</summary>
    [Alias("release-send")]
    Task ReleaseOtpSendAsync();

    /// <summary>Refused (1550) while the identifier is locked.</summary>
    [Alias("check-lock")]
    Task<Outcome> CheckLockAsync();

    /// <summary>
    /// Admits one check of an OTP or password: it counts against Lockout.MaxFailures from now on, as a failure until
    /// <see cref="EndAttemptAsync"/> says otherwise. Refused (1550) while locked, or while the failures and the checks
    /// in flight already reach the limit, so N parallel guesses get at most MaxFailures evaluations.
    /// </summary>
    [Alias("begin-attempt")]
    Task<Outcome> BeginAttemptAsync(string attemptId);

    /// <summary>How an admitted check ended; answers 1550 when this failure locked the identifier.</summary>
    [Alias("end-attempt")]
    Task<Outcome> EndAttemptAsync(string attemptId, AttemptResult result);

    /// <summary>
    /// The first step of moving this identifier's link to <paramref name="newValue"/> (same brand and type): the move is
    /// written down, so that a crash from here on is settled by the next call. See <see cref="Identifiers.IdentifierMove"/>.
    /// </summary>
    [Alias("begin-move")]
    Task<MoveStart> BeginMoveAsync(string customerId, string newValue);

    /// <summary>
    /// The customer was erased: unlinks this identifier if <paramref name="customerId"/> owns it, and forgets a move away
    /// from it that names them. Its limits stay (an erasure must not lift a lock). False when it named them nowhere.
    /// </summary>
    [Alias("release")]
    Task<bool> ReleaseAsync(string customerId);

    /// <summary>The new side of a move: links the unlinked value to <paramref name="customerId"/>, moved from <paramref name="fromValue"/>.</summary>
    [Alias("claim")]
    Task<bool> ClaimAsync(string customerId, string fromValue);

    /// <summary>The last step: unlinks this value once <paramref name="newValue"/> holds the customer; false if it does not.</summary>
    [Alias("complete-move")]
    Task<bool> CompleteMoveAsync(string customerId, string newValue);

    /// <summary>The new value could not be claimed: the link stays here.</summary>
    [Alias("abort-move")]
    Task AbortMoveAsync(string newValue);

    /// <remarks>
    /// Interleaves: it only reads, and a value settling a move of its own asks the other side, which may be asking it
    /// back (two values moving onto each other); neither may wait for the other's turn.
    /// </remarks>
    [Alias("is-claimed-by"), AlwaysInterleave]
    Task<bool> IsClaimedByAsync(string customerId, string fromValue);

    /// <summary>Where the identifier stands against its limits (API.md §7), for support: the lock, the failures, the OTP sends.</summary>
    [Alias("get-limits"), ReadOnly]
    Task<IdentifierLimits> GetLimitsAsync();

    /// <summary>
    /// Support lifts the lock (1550) and forgets the failures counted towards the next one; the checks in flight and the
    /// OTP send window stay. Recorded in the owner's security history, naming <paramref name="liftedBy"/>.
    /// </summary>
    [Alias("lift-lock")]
    Task<LockLifted> LiftLockAsync(string liftedBy);
}

/// <summary>An identifier's limits as they stand: each count is of the current window only.</summary>
[GenerateSerializer, Immutable, Alias("sessions.identifier-limits")]
public sealed record IdentifierLimits
{
    /// <summary>Set while the identifier is locked.</summary>
    [Id(0)] public DateTimeOffset? LockedUntil { get; init; }

    /// <summary>Wrong codes and passwords within the lockout window, towards the next lock.</summary>
    [Id(1)] public int RecentFailures { get; init; }

    /// <summary>Codes or passwords being checked right now; each counts as a failure until it ends.</summary>
    [Id(2)] public int ChecksInFlight { get; init; }

    /// <summary>OTPs sent within the send window.</summary>
    [Id(3)] public int OtpSends { get; init; }

    /// <summary>When the next OTP may be sent, while the send window is used up.</summary>
    [Id(4)] public DateTimeOffset? NextOtpSendAt { get; init; }
}

/// <summary>What lifting a lock changed; nothing, when both are empty.</summary>
[GenerateSerializer, Immutable, Alias("sessions.lock-lifted")]
public sealed record LockLifted
{
    /// <summary>The lock that was lifted; null when the identifier was not locked.</summary>
    [Id(0)] public DateTimeOffset? WasLockedUntil { get; init; }

    /// <summary>The failures forgotten.</summary>
    [Id(1)] public int FailuresCleared { get; init; }
}

/// <summary>How an admitted credential check ended.</summary>
[GenerateSerializer, Alias("sessions.attempt-result")]
public enum AttemptResult
{
    Succeeded,
    Failed,

    /// <summary>Never evaluated (the hashing pool was full, a store call failed): it does not count.</summary>
    NotEvaluated,
}

/// <summary>What the first step of a move found.</summary>
[GenerateSerializer, Alias("sessions.move-start")]
public enum MoveStart
{
    Started,

    /// <summary>A retry of a move that completed: the value is already the customer's new one.</summary>
    AlreadyMoved,

    /// <summary>This identifier is not the customer's.</summary>
    NotOwner,
}

[GenerateSerializer, Immutable, Alias("sessions.open-login-reservation")]
public sealed record OpenLoginReservation
{
    [Id(0)] public AuthError Error { get; init; }
    [Id(1)] public TimeSpan? RetryAfter { get; init; }
    [Id(2)] public string? CustomerId { get; init; }
}
