namespace Sessions.Grains.Contracts;

/// <summary>
/// One customer of a brand (key from <see cref="Identity.GrainKeys.Customer"/>): credentials, MFA history and the
/// device sessions that hold its key families. It never calls a device session itself (a device session calls
/// it, so that would be a cycle); it hands back which device sessions the caller must revoke.
/// </summary>
[Alias("sessions.customer")]
public interface ICustomerGrain : IGrainWithStringKey
{
    [Alias("profile")]
    Task<CustomerProfile> GetProfileAsync();

    [Alias("verify-password")]
    Task<bool> VerifyPasswordAsync(PasswordKind kind, string password);

    /// <summary>
    /// Records a passed first factor on a device session; sets the primary password if there is none yet. Answers
    /// the device sessions beyond the brand's MaxDeviceSessions, which the caller must revoke.
    /// </summary>
    [Alias("first-factor")]
    Task<FactorCompleted> CompleteFirstFactorAsync(string? pendingPasswordHash, string deviceSessionKey);

    /// <summary>Records a passed second factor on a device session; sets the MFA password if there is none yet.</summary>
    [Alias("second-factor")]
    Task<FactorCompleted> CompleteSecondFactorAsync(string? pendingMfaPasswordHash, string deviceSessionKey);

    /// <summary>Replaces a password after checking the current one; answers the device sessions to revoke.</summary>
    [Alias("change-password")]
    Task<PasswordChanged> ChangePasswordAsync(PasswordKind kind, string currentPassword, string newPasswordHash);

    /// <summary>Sets a password without the current one (the caller checked an OTP); answers the device sessions to revoke.</summary>
    [Alias("reset-password")]
    Task<PasswordChanged> ResetPasswordAsync(PasswordKind kind, string newPasswordHash);

    /// <summary>
    /// Drops device sessions that hold no live family of this customer any more, unless a login after
    /// <paramref name="asOf"/> (a <see cref="PasswordChanged.AsOf"/>, or <see cref="long.MaxValue"/>) renewed them.
    /// </summary>
    /// <summary>The device sessions that may hold the customer's families, least recently logged in first.</summary>
    [Alias("device-sessions"), ReadOnly]
    Task<IReadOnlyList<string>> GetDeviceSessionsAsync();

    [Alias("forget-device-sessions")]
    Task ForgetDeviceSessionsAsync(IReadOnlyList<string> deviceSessionKeys, long asOf);

    /// <summary>
    /// Records that the customer's identifier moved from <paramref name="oldIdentifierKey"/> to
    /// <paramref name="newIdentifierKey"/>: from now on a factor completed under the old one is refused. Answers the
    /// device sessions under the old identifier, whose families the caller revokes.
    /// </summary>
    [Alias("identifier-moved")]
    Task<IReadOnlyList<string>> IdentifierMovedAsync(string oldIdentifierKey, string newIdentifierKey);
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

    /// <summary>The device session's identifier has moved away from the customer: the login must not complete.</summary>
    [Id(3)] public bool IsRefused { get; init; }

    public static readonly FactorCompleted Refused = new() { IsRefused = true };
}

[GenerateSerializer, Immutable, Alias("sessions.password-changed")]
public sealed record PasswordChanged
{
    [Id(0)] public AuthError Error { get; init; }
    [Id(1)] public IReadOnlyList<string> DeviceSessions { get; init; } = [];

    /// <summary>The customer's login sequence when the list was taken: what a later forget may drop.</summary>
    [Id(2)] public long AsOf { get; init; }
}
