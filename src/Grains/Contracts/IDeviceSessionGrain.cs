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
    /// <paramref name="pendingPasswordHash"/> applies on success.
    /// </summary>
    [Alias("open-login")]
    Task<SessionOpened> OpenLoginSessionAsync(Channel channel, string? pendingPasswordHash);

    /// <summary>Opens an MFA session for the customer that passed the first factor, linking this identifier to it.</summary>
    [Alias("open-mfa")]
    Task<SessionOpened> OpenMfaSessionAsync(Channel channel, string customerId, string? pendingMfaPasswordHash);

    [Alias("send-otp")]
    Task<Outcome> SendOtpAsync(SessionFlow flow, string sessionId);

    [Alias("validate-otp")]
    Task<Grant> ValidateOtpAsync(SessionFlow flow, string sessionId, string otp);

    [Alias("validate-password")]
    Task<Grant> ValidatePasswordAsync(SessionFlow flow, string sessionId, string password);

    /// <summary>Exchanges the key <paramref name="keyId"/> of family <paramref name="familyId"/> (API.md §5).</summary>
    /// <remarks>
    /// Idempotent within the reuse grace, so the API retries it; a short timeout lets that retry happen when the
    /// call was lost with a crashed silo, instead of after the default 30 s.
    /// </remarks>
    [Alias("regenerate"), ResponseTimeout("00:00:03")]
    Task<Grant> RegenerateAsync(SessionFlow flow, string familyId, string keyId);

    /// <summary>Exchanges the web USER token <paramref name="tokenId"/> (its jti) of web family <paramref name="familyId"/> (API.md §4.4).</summary>
    /// <remarks>As idempotent within the grace as <see cref="RegenerateAsync"/>, and retried the same way.</remarks>
    [Alias("regenerate-web"), ResponseTimeout("00:00:03")]
    Task<Grant> RegenerateWebAsync(string familyId, string tokenId);

    /// <summary>
    /// Whether the family <paramref name="familyId"/> (mobile or web) is alive: not revoked, replaced or expired.
    /// Read-only and answered from memory by an active grain, for introspection (API.md §4.5).
    /// </summary>
    [Alias("is-family-active"), ReadOnly]
    Task<bool> IsFamilyActiveAsync(string familyId);

    /// <summary>Revokes the MFA key family that <paramref name="familyId"/> names, if it is this device's current one.</summary>
    [Alias("expire-mfa")]
    Task<Outcome> ExpireMfaFamilyAsync(string familyId);

    /// <summary>
    /// Changes the customer's password (<paramref name="kind"/>) after checking the current one, and revokes the
    /// customer's families (MFA ones only for the MFA password): on every other device for the app, or every family
    /// but <paramref name="keepFamilyId"/> (the browser's own) for the web.
    /// </summary>
    [Alias("change-password")]
    Task<Outcome> ChangePasswordAsync(PasswordKind kind, string customerId, string currentPassword, string newPasswordHash, string? keepFamilyId);

    /// <summary>
    /// Resets the password of the session's customer after checking the session's OTP (unless the brand skips it),
    /// and revokes every family of the customer (MFA ones only for the MFA password), this device's included.
    /// </summary>
    [Alias("reset-password")]
    Task<Outcome> ResetPasswordAsync(SessionFlow flow, string sessionId, string? otp, string newPasswordHash);

    /// <summary>Revokes this device session's families of <paramref name="customerId"/>, mobile and web, but <paramref name="exceptFamilyId"/> (a password changed elsewhere).</summary>
    /// <remarks>
    /// Interleaves: a device session that is itself fanning out a password change (or awaiting the customer) must
    /// still take revocations, or two concurrent changes on two devices of one customer would wait on each other.
    /// </remarks>
    [Alias("revoke-families"), AlwaysInterleave]
    Task<int> RevokeFamiliesAsync(string customerId, bool mfaOnly, string? exceptFamilyId, string reason);

    /// <summary>The live families of <paramref name="customerId"/> on this device session, for support staff.</summary>
    [Alias("live-families"), ReadOnly]
    Task<IReadOnlyList<FamilySummary>> LiveFamiliesAsync(string customerId);

    /// <summary>Revokes one live family of <paramref name="customerId"/>; false when there is no such live family here.</summary>
    [Alias("revoke-family")]
    Task<bool> RevokeFamilyAsync(string customerId, string familyId, string reason);
}

/// <summary>One live key family as the admin API lists it.</summary>
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
}
