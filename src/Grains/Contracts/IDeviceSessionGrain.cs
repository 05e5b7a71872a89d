namespace Sessions.Grains.Contracts;

/// <summary>
/// One device session: brand + identifier + device (key from <see cref="Identity.GrainKeys.DeviceSession"/>).
/// It holds the open login and MFA sessions and the key families of the device, and is their only writer.
/// </summary>
[Alias("sessions.device-session")]
public interface IDeviceSessionGrain : IGrainWithStringKey
{
    /// <summary>
    /// Opens a login session: a mobile one replaces the open one; web ones live side by side (one per browser).
    /// <paramref name="pendingPassword"/>, a first-time password, is kept sealed and set only when the session succeeds.
    /// </summary>
    [Alias("open-login")]
    Task<SessionOpened> OpenLoginSessionAsync(Channel channel, string? pendingPassword);

    /// <summary>
    /// Opens an MFA session for the customer whose first-factor family <paramref name="authorizedBy"/> is still alive,
    /// on this identifier if it may be their second factor (API.md §4.2). Nothing is linked until an OTP proves it.
    /// </summary>
    [Alias("open-mfa")]
    Task<SessionOpened> OpenMfaSessionAsync(Channel channel, FamilyReference authorizedBy, string? pendingMfaPassword);

    [Alias("send-otp")]
    Task<Outcome> SendOtpAsync(SessionFlow flow, string sessionId);

    /// <summary>
    /// Completes the session with its OTP; the new family is bound to <paramref name="proof"/>'s device key when the
    /// brand binds devices (API.md §4.7). Under <c>Required</c>, no proof is refused (1562) before anything is consumed.
    /// </summary>
    [Alias("validate-otp")]
    Task<Grant> ValidateOtpAsync(SessionFlow flow, string sessionId, string otp, DeviceProof? proof = null);

    /// <summary>As <see cref="ValidateOtpAsync"/>, with a password.</summary>
    [Alias("validate-password")]
    Task<Grant> ValidatePasswordAsync(SessionFlow flow, string sessionId, string password, DeviceProof? proof = null);

    /// <summary>
    /// Exchanges the key <paramref name="keyId"/> of family <paramref name="familyId"/> (API.md §5), with the device proof
    /// a bound family needs (§4.7): a refused proof leaves the family exactly as it was.
    /// </summary>
    /// <remarks>
    /// Idempotent within the reuse grace, so the API retries it; a short timeout lets that retry happen when the
    /// call was lost with a crashed silo, instead of after the default 30 s. Not with a proof, whose id the first try
    /// may have recorded: the client hears 1599 and retries with a fresh proof, as RFC 9449 §7.3 has it.
    /// </remarks>
    [Alias("regenerate"), ResponseTimeout("00:00:03")]
    Task<Grant> RegenerateAsync(SessionFlow flow, string familyId, string keyId, DeviceProof? proof = null);

    /// <summary>Exchanges the web USER token <paramref name="tokenId"/> (its jti) of web family <paramref name="familyId"/> (API.md §4.4).</summary>
    /// <remarks>As idempotent within the grace as <see cref="RegenerateAsync"/>, and retried the same way.</remarks>
    [Alias("regenerate-web"), ResponseTimeout("00:00:03")]
    Task<Grant> RegenerateWebAsync(string familyId, string tokenId, DeviceProof? proof = null);

    /// <summary>
    /// Takes the device proof that came with a token of the bound family <paramref name="token"/> names on an account call,
    /// where the brand requires one (<c>RequireProofForBoundTokens</c>): the family must live, the proof be signed by its
    /// device key (1561 and a security event for another key) and never seen before (1560). The proof is remembered as
    /// a regenerate's is; a refusal leaves the family as it was.
    /// </summary>
    [Alias("accept-token-proof")]
    Task<Outcome> AcceptTokenProofAsync(FamilyReference token, DeviceProof proof);

    /// <summary>
    /// Whether the family <paramref name="familyId"/> (mobile or web) is alive: not revoked, replaced or expired.
    /// Answered from memory by an active grain, for introspection (API.md §4.5) and for another device session whose
    /// MFA session this family authorised.
    /// </summary>
    /// <remarks>
    /// Interleaves: it only reads, and two device sessions of one customer may each be asking the other at once (each
    /// one's MFA authorised by the other's first factor); neither may wait for the other's turn.
    /// </remarks>
    [Alias("is-family-active"), AlwaysInterleave]
    Task<bool> IsFamilyActiveAsync(string familyId);

    /// <summary>Revokes the MFA key family that <paramref name="familyId"/> names, if it is this device's current one.</summary>
    [Alias("expire-mfa")]
    Task<Outcome> ExpireMfaFamilyAsync(string familyId);

    /// <summary>
    /// Changes the password (<paramref name="kind"/>) of the customer of the live family <paramref name="token"/> names
    /// after checking the current one, and revokes the customer's families (MFA ones only for the MFA password) but
    /// the login chain of that token: its family, the family that authorised it and those it authorised.
    /// </summary>
    [Alias("change-password")]
    Task<Outcome> ChangePasswordAsync(PasswordKind kind, FamilyReference token, string currentPassword, string newPassword);

    /// <summary>
    /// Resets the password of the session's customer after checking the session's OTP (unless the brand skips it),
    /// and revokes every family of the customer (MFA ones only for the MFA password), this device's included.
    /// Nothing is hashed before the session and the OTP have passed.
    /// </summary>
    [Alias("reset-password")]
    Task<Outcome> ResetPasswordAsync(SessionFlow flow, string sessionId, string? otp, string newPassword);

    /// <summary>
    /// Moves the customer of the live family <paramref name="token"/> names from this identifier to
    /// <paramref name="newValue"/> (API.md §4.4): without <paramref name="otp"/> (and the brand's VerifyNewValue) an OTP
    /// goes to the new value and nothing moves; with it, the move happens and every family under the old value dies.
    /// Where the brand requires it, only a family of a recent login starts a change (<see cref="AuthError.RecentLoginRequired"/>).
    /// </summary>
    [Alias("change-identifier")]
    Task<IdentifierChangeOutcome> ChangeIdentifierAsync(FamilyReference token, string newValue, string? otp);

    /// <summary>
    /// Revokes this device session's families of <paramref name="customerId"/>, mobile and web, but those whose id, or
    /// whose authorising family's id, is in <paramref name="keep"/> (the login chain a password was changed with).
    /// </summary>
    /// <remarks>
    /// Interleaves: a device session that is itself fanning out a password change (or awaiting the customer) must
    /// still take revocations, or two concurrent changes on two devices of one customer would wait on each other.
    /// </remarks>
    [Alias("revoke-families"), AlwaysInterleave]
    Task<int> RevokeFamiliesAsync(string customerId, bool mfaOnly, IReadOnlyList<string> keep, string reason);

    /// <summary>
    /// The customer was erased: forgets every family of <paramref name="customerId"/> here, live or ended, and the sessions
    /// and identifier change they had open, so that their keys are unknown keys (1597) and nothing of theirs stays stored;
    /// answers how many families were live. Interleaves, as <see cref="RevokeFamiliesAsync"/> does.
    /// </summary>
    [Alias("erase-customer"), AlwaysInterleave]
    Task<int> EraseCustomerAsync(string customerId);

    /// <summary>The live families of <paramref name="customerId"/> on this device session, for support staff and the customer.</summary>
    [Alias("live-families"), ReadOnly]
    Task<IReadOnlyList<FamilySummary>> LiveFamiliesAsync(string customerId);

    /// <summary>Revokes one live family of <paramref name="customerId"/>; false when there is no such live family here.</summary>
    [Alias("revoke-family")]
    Task<bool> RevokeFamilyAsync(string customerId, string familyId, string reason);
}

/// <summary>What an identifier change did: moved, refused, or sent the OTP the move waits for.</summary>
[GenerateSerializer, Immutable, Alias("sessions.identifier-change-outcome")]
public sealed record IdentifierChangeOutcome
{
    [Id(0)] public AuthError Error { get; init; }
    [Id(1)] public TimeSpan? RetryAfter { get; init; }

    /// <summary>An OTP went to the new value; the same call with it performs the move.</summary>
    [Id(2)] public bool OtpSent { get; init; }

    public static IdentifierChangeOutcome Failed(AuthError error, TimeSpan? retryAfter = null) => new() { Error = error, RetryAfter = retryAfter };
}

/// <summary>One live key family as the admin API and the customer's signed-in devices list it.</summary>
[GenerateSerializer, Immutable, Alias("sessions.family-summary")]
public sealed record FamilySummary
{
    [Id(0)] public string FamilyId { get; init; } = "";
    [Id(1)] public Channel Channel { get; init; }
    [Id(2)] public SessionFlow Flow { get; init; }
    [Id(3)] public DateTimeOffset CreatedAt { get; init; }
    [Id(4)] public DateTimeOffset LastUsedAt { get; init; }

    /// <summary>When the family dies unless used again (idle limit) or at the latest (age limit), whichever is first.</summary>
    [Id(5)] public DateTimeOffset ExpiresAt { get; init; }

    /// <summary>Whether the family is bound to a device key (API.md §4.7).</summary>
    [Id(6)] public bool DeviceBound { get; init; }

    /// <summary>The family whose token authorised this one's login (a first factor's, for an MFA family); null when none did.</summary>
    [Id(7)] public string? AuthorizedByFamilyId { get; init; }
}
