namespace Sessions.Grains.Contracts;

/// <summary>
/// One device session: brand + identifier + device (key from <see cref="Identity.GrainKeys.DeviceSession"/>).
/// It holds the open login and MFA sessions and the key families of the device, and is their only writer.
/// </summary>
[Alias("sessions.device-session")]
public interface IDeviceSessionGrain : IGrainWithStringKey
{
    /// <summary>Opens a login session, replacing an open one. <paramref name="pendingPasswordHash"/> applies on success.</summary>
    [Alias("open-login")]
    Task<SessionOpened> OpenLoginSessionAsync(string? pendingPasswordHash);

    /// <summary>Opens an MFA session for the customer that passed the first factor, linking this identifier to it.</summary>
    [Alias("open-mfa")]
    Task<SessionOpened> OpenMfaSessionAsync(string customerId, string? pendingMfaPasswordHash);

    [Alias("send-otp")]
    Task<AuthError> SendOtpAsync(SessionFlow flow, string sessionId);

    [Alias("validate-otp")]
    Task<Grant> ValidateOtpAsync(SessionFlow flow, string sessionId, string otp);

    [Alias("validate-password")]
    Task<Grant> ValidatePasswordAsync(SessionFlow flow, string sessionId, string password);

    /// <summary>Exchanges the key <paramref name="keyId"/> of family <paramref name="familyId"/> (API.md §5).</summary>
    [Alias("regenerate")]
    Task<Grant> RegenerateAsync(SessionFlow flow, string familyId, string keyId);

    /// <summary>Revokes the MFA key family that <paramref name="familyId"/> names, if it is this device's current one.</summary>
    [Alias("expire-mfa")]
    Task<AuthError> ExpireMfaFamilyAsync(string familyId);
}
