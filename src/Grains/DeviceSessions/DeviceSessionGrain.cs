using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Sessions.Grains.Configuration;
using Sessions.Grains.Contracts;
using Sessions.Grains.Identity;
using Sessions.Grains.Otp;

namespace Sessions.Grains.DeviceSessions;

/// <summary>
/// The single writer of one device session's sessions and key families. Non-reentrant: each call reads, decides
/// and writes before the next one starts, so a key can never rotate twice from the same predecessor.
/// Other grains are called before any change to this grain's state, so a failure never leaves a half-made change.
/// This file holds the sessions and the factors that complete them; DeviceSessionGrain.Families.cs the families.
/// </summary>
[GrainType(GrainTypes.DeviceSession)]
internal sealed partial class DeviceSessionGrain(
    [PersistentState("device-session", ServiceKeys.Storage)] IPersistentState<DeviceSessionState> state,
    [FromKeyedServices(ServiceKeys.Clock)] TimeProvider clock,
    IOptions<SessionsOptions> options,
    OtpHasher otpHasher,
    IOtpSender otpSender,
    ILogger<DeviceSessionGrain> logger) : Grain, IDeviceSessionGrain
{
    private Identifier _identifier = null!;
    private string _deviceId = "";
    private BrandOptions _brand = null!;

    // Counts revocations that interleaved (RevokeFamiliesAsync): a login that was completing meanwhile must not
    // start a family the revocation could not see.
    private long _revocations;

    private DeviceSessionState State => state.State;
    private DateTimeOffset Now => clock.GetUtcNow();

    public override Task OnActivateAsync(CancellationToken cancellationToken)
    {
        (_identifier, _deviceId) = GrainKeys.ParseDeviceSession(this.GetPrimaryKeyString());
        _brand = options.Value.GetBrand(_identifier.Brand);
        // States written before sessions and families named their flow: the slot tells it.
        State.Mfa = State.Mfa is { } mfa ? mfa with { Flow = SessionFlow.Mfa } : null;
        State.MfaFamily = State.MfaFamily is { } family ? family with { Flow = SessionFlow.Mfa } : null;
        return Task.CompletedTask;
    }

    public async Task<SessionOpened> OpenLoginSessionAsync(Channel channel, string? pendingPasswordHash)
    {
        var customerId = await IdentifierGrain.GetCustomerIdAsync();
        var profile = customerId is null ? null : await Customer(customerId).GetProfileAsync();
        if (customerId is null && pendingPasswordHash is null && _brand.PasswordEnabled && _brand.RequirePasswordOnSignUp)
        {
            return SessionOpened.Failed(AuthError.PasswordRequired);
        }

        var session = NewSession(channel, SessionFlow.Login, _brand.SessionMinutes) with
        {
            PendingPasswordHash = profile?.HasPassword == true ? null : pendingPasswordHash,
        };
        PutSession(session);
        await SaveAsync();
        return Opened(session, appRegistered: customerId is not null, hasPassword: profile?.HasPassword == true);
    }

    public async Task<SessionOpened> OpenMfaSessionAsync(Channel channel, string customerId, string? pendingMfaPasswordHash)
    {
        if (!_brand.MfaEnabled)
        {
            return SessionOpened.Failed(AuthError.MfaNotEnabled);
        }
        if (!await IdentifierGrain.LinkAsync(customerId))
        {
            return SessionOpened.Failed(AuthError.InvalidDetails);
        }

        var profile = await Customer(customerId).GetProfileAsync();
        var session = NewSession(channel, SessionFlow.Mfa, _brand.MfaSessionMinutes) with
        {
            CustomerId = customerId,
            PendingPasswordHash = profile.HasMfaPassword ? null : pendingMfaPasswordHash,
        };
        PutSession(session);
        await SaveAsync();
        return Opened(session, appRegistered: true, hasPassword: profile.HasMfaPassword);
    }

    public async Task<Outcome> SendOtpAsync(SessionFlow flow, string sessionId)
    {
        if (OpenSession(flow, sessionId) is not { } session)
        {
            return Outcome.Failed(AuthError.InvalidSession);
        }
        if (session.OtpFailures >= _brand.Otp.MaxAttempts)
        {
            return Outcome.Failed(AuthError.OtpAttemptsExhausted);
        }

        var otpExpiresAt = Min(Now.AddMinutes(_brand.Otp.TtlMinutes), session.ExpiresAt);
        var code = FixedTestCode();
        if (code is not null)
        {
            // Test identifiers send nothing, so they take nothing from the send window; a lock still holds.
            if (await IdentifierGrain.CheckLockAsync() is { Succeeded: false } locked)
            {
                return locked;
            }
        }
        else
        {
            if (await IdentifierGrain.TryReserveOtpSendAsync() is { Succeeded: false } refused)
            {
                return refused;
            }

            code = OtpHasher.NewCode(_brand.Otp.Length);
            try
            {
                await otpSender.SendAsync(new OtpMessage
                {
                    Identifier = _identifier,
                    DeviceId = _deviceId,
                    Purpose = flow == SessionFlow.Login ? OtpPurpose.LOGIN : OtpPurpose.MFA,
                    Code = code,
                    ExpiresAt = otpExpiresAt,
                }, CancellationToken.None);
            }
            catch (OtpDeliveryException e)
            {
                await IdentifierGrain.ReleaseOtpSendAsync();
                LogOtpDeliveryFailed(e, _identifier.Brand, _identifier.Type, flow);
                return Outcome.Failed(AuthError.OtpDeliveryFailed);
            }
        }

        PutSession(session with { OtpHash = otpHasher.Hash(session.Id, code), OtpExpiresAt = otpExpiresAt });
        await SaveAsync();
        return Outcome.Ok;
    }

    public async Task<Grant> ValidateOtpAsync(SessionFlow flow, string sessionId, string otp)
    {
        if (OpenSession(flow, sessionId) is not { } session)
        {
            return Grant.Failed(AuthError.InvalidSession);
        }
        if (await VerifyOtpAsync(session, otp) is { Succeeded: false } refused)
        {
            return Grant.Failed(refused);
        }

        return await CompleteAsync(session);
    }

    public async Task<Grant> ValidatePasswordAsync(SessionFlow flow, string sessionId, string password)
    {
        if (OpenSession(flow, sessionId) is not { } session)
        {
            return Grant.Failed(AuthError.InvalidSession);
        }
        if (!(flow == SessionFlow.Login ? _brand.PasswordEnabled : _brand.MfaPasswordEnabled))
        {
            return Grant.Failed(AuthError.PasswordNotEnabled);
        }
        var customerId = flow == SessionFlow.Mfa ? session.CustomerId : await IdentifierGrain.GetCustomerIdAsync();
        if (await VerifyPasswordAsync(session, customerId, password) is { Succeeded: false } refused)
        {
            return Grant.Failed(refused);
        }

        return await CompleteAsync(session with { PendingPasswordHash = null }, customerId!);
    }

    public async Task<Outcome> ChangePasswordAsync(PasswordKind kind, string customerId, string currentPassword, string newPasswordHash, string? keepFamilyId)
    {
        if (await IdentifierGrain.CheckLockAsync() is { Succeeded: false } locked)
        {
            return locked;
        }

        var changed = await Customer(customerId).ChangePasswordAsync(kind, currentPassword, newPasswordHash);
        if (changed.Error != AuthError.None)
        {
            var failure = await IdentifierGrain.RecordFailureAsync();
            return failure.Succeeded ? Outcome.Failed(changed.Error) : failure;
        }

        await IdentifierGrain.RecordSuccessAsync();
        var mfaOnly = kind == PasswordKind.Mfa;
        if (keepFamilyId is null)
        {
            // The app's change: every other device logs in again; this device keeps its families.
            await RevokeElsewhereAsync(changed, customerId, mfaOnly, keepDeviceId: _deviceId, exceptFamilyId: null, "password changed");
        }
        else
        {
            // A browser's change: every other family, mobile and web, this device session's included.
            await RevokeElsewhereAsync(changed, customerId, mfaOnly, keepDeviceId: null, exceptFamilyId: keepFamilyId, "password changed");
            if (RevokeOwnFamilies(customerId, mfaOnly, exceptFamilyId: keepFamilyId) > 0)
            {
                await SaveAsync();
            }
        }
        return Outcome.Ok;
    }

    public async Task<Outcome> ResetPasswordAsync(SessionFlow flow, string sessionId, string? otp, string newPasswordHash)
    {
        if (OpenSession(flow, sessionId) is not { } session)
        {
            return Outcome.Failed(AuthError.InvalidSession);
        }
        var customerId = flow == SessionFlow.Mfa ? session.CustomerId : await IdentifierGrain.GetCustomerIdAsync();
        if (customerId is null)
        {
            return Outcome.Failed(AuthError.InvalidSession);
        }

        var verified = _brand.SkipOtpOnReset ? await IdentifierGrain.CheckLockAsync()
            : otp is null ? Outcome.Failed(AuthError.OtpNotGenerated)
            : await VerifyOtpAsync(session, otp);
        if (!verified.Succeeded)
        {
            return verified;
        }

        await IdentifierGrain.RecordSuccessAsync();
        var kind = flow == SessionFlow.Login ? PasswordKind.Primary : PasswordKind.Mfa;
        var changed = await Customer(customerId).ResetPasswordAsync(kind, newPasswordHash);
        await RevokeElsewhereAsync(changed, customerId, mfaOnly: kind == PasswordKind.Mfa, keepDeviceId: null, exceptFamilyId: null, "password reset");

        State.EndSession(session);
        RevokeOwnFamilies(customerId, mfaOnly: kind == PasswordKind.Mfa, exceptFamilyId: null);
        await SaveAsync();
        await ForgetIfNoLiveFamilyAsync(customerId);
        return Outcome.Ok;
    }

    /// <summary>Checks an OTP against the session; a wrong one is counted on the session and on the identifier.</summary>
    private async Task<Outcome> VerifyOtpAsync(PendingSession session, string otp)
    {
        if (session.OtpFailures >= _brand.Otp.MaxAttempts)
        {
            return Outcome.Failed(AuthError.OtpAttemptsExhausted);
        }
        if (session.OtpHash is null)
        {
            return Outcome.Failed(AuthError.OtpNotGenerated);
        }
        if (await IdentifierGrain.CheckLockAsync() is { Succeeded: false } locked)
        {
            return locked;
        }
        if (Now >= session.OtpExpiresAt)
        {
            return Outcome.Failed(AuthError.InvalidOtp);
        }
        if (otpHasher.Matches(session.OtpHash, session.Id, otp))
        {
            return Outcome.Ok;
        }

        var failure = await IdentifierGrain.RecordFailureAsync();
        var failures = session.OtpFailures + 1;
        PutSession(session with { OtpFailures = failures });
        await SaveAsync();
        return !failure.Succeeded ? failure
            : Outcome.Failed(failures >= _brand.Otp.MaxAttempts ? AuthError.OtpAttemptsExhausted : AuthError.InvalidOtp);
    }

    /// <summary>
    /// Checks the customer's password for the session; a wrong one (or no customer, or no password) is counted on
    /// the session and on the identifier, like a wrong OTP.
    /// </summary>
    private async Task<Outcome> VerifyPasswordAsync(PendingSession session, string? customerId, string password)
    {
        if (session.PasswordFailures >= _brand.Password.MaxAttempts)
        {
            return Outcome.Failed(AuthError.PasswordAttemptsExhausted);
        }
        if (await IdentifierGrain.CheckLockAsync() is { Succeeded: false } locked)
        {
            return locked;
        }
        var kind = session.Flow == SessionFlow.Login ? PasswordKind.Primary : PasswordKind.Mfa;
        if (customerId is not null && await Customer(customerId).VerifyPasswordAsync(kind, password))
        {
            return Outcome.Ok;
        }

        var failure = await IdentifierGrain.RecordFailureAsync();
        var failures = session.PasswordFailures + 1;
        PutSession(session with { PasswordFailures = failures });
        await SaveAsync();
        return !failure.Succeeded ? failure
            : Outcome.Failed(failures >= _brand.Password.MaxAttempts ? AuthError.PasswordAttemptsExhausted : AuthError.InvalidPassword);
    }

    /// <summary>
    /// A factor passed: the customer records it (and hands back device sessions beyond its limit, revoked here), and
    /// the session becomes a new family of its channel.
    /// </summary>
    private async Task<Grant> CompleteAsync(PendingSession session, string? knownCustomerId = null)
    {
        var revocations = _revocations;
        await IdentifierGrain.RecordSuccessAsync();
        string customerId;
        SessionRole role;
        FactorCompleted completed;
        if (session.Flow == SessionFlow.Login)
        {
            customerId = knownCustomerId ?? await IdentifierGrain.EnsureCustomerIdAsync();
            completed = await Customer(customerId).CompleteFirstFactorAsync(session.PendingPasswordHash, this.GetPrimaryKeyString());
            role = _brand.MfaEnabled && (_brand.ForcedMfa || completed.Profile.MfaCompleted) ? SessionRole.MFA_PENDING : SessionRole.USER;
        }
        else
        {
            customerId = session.CustomerId!;
            completed = await Customer(customerId).CompleteSecondFactorAsync(session.PendingPasswordHash, this.GetPrimaryKeyString());
            role = SessionRole.USER;
        }
        if (completed.IsRefused)
        {
            return Grant.Failed(AuthError.InvalidSession);
        }
        if (completed.EvictedDeviceSessions.Count > 0)
        {
            await RevokeAsync(completed.EvictedDeviceSessions, customerId, mfaOnly: false, exceptFamilyId: null, "device-session limit");
            await ForgetAsync(customerId, completed.EvictedDeviceSessions, completed.AsOf);
        }
        if (_revocations != revocations)
        {
            // A password change or an identifier move revoked this customer's families while the factor completed.
            return Grant.Failed(AuthError.InvalidSession);
        }

        State.EndSession(session);
        return session.Channel == Channel.Web
            ? await StartWebFamilyAsync(session.Flow, customerId, role)
            : await StartMobileFamilyAsync(session.Flow, customerId, role);
    }

    private PendingSession NewSession(Channel channel, SessionFlow flow, int minutes) => new()
    {
        Id = RandomIds.NewSessionId(),
        ExpiresAt = Now.AddMinutes(minutes),
        Channel = channel,
        Flow = flow,
    };

    private static SessionOpened Opened(PendingSession session, bool appRegistered, bool hasPassword) => new()
    {
        SessionId = session.Id,
        ExpiresAt = session.ExpiresAt,
        AppRegistered = appRegistered,
        UserRegisteredForPassword = hasPassword,
    };

    /// <summary>Stores a session; a browser's join the others, the brand's Web.MaxFamilies newest kept.</summary>
    private void PutSession(PendingSession session) => State.PutSession(session, _brand.Web.MaxFamilies);

    private PendingSession? OpenSession(SessionFlow flow, string sessionId) =>
        State.FindSession(flow, sessionId) is { } session && Now < session.ExpiresAt ? session : null;

    private string? FixedTestCode()
    {
        foreach (var test in _brand.TestIdentifiers)
        {
            if (IdentifierRules.TryParseType(test.IdentifierType, out var type) && type == _identifier.Type
                && IdentifierRules.NormalizeValue(type, test.IdentifierValue, out _) == _identifier.Value)
            {
                return test.Otp;
            }
        }
        return null;
    }

    private static DateTimeOffset Min(DateTimeOffset a, DateTimeOffset b) => a < b ? a : b;

    private IIdentifierGrain IdentifierGrain => GrainFactory.GetGrain<IIdentifierGrain>(GrainKeys.Identifier(_identifier));

    private ICustomerGrain Customer(string customerId) =>
        GrainFactory.GetGrain<ICustomerGrain>(GrainKeys.Customer(_identifier.Brand, customerId));

    private Task SaveAsync() => state.WriteOrDeactivateAsync(DeactivateOnIdle);

    // Logins, rejections, rotations and reuse are in the API's audit trail (with the client address); the grain
    // logs only what the API cannot see: failed deliveries and revocations of families on this device.
    [LoggerMessage(EventId = 1004, Level = LogLevel.Warning, Message = "OTP delivery failed: {Brand} {IdentifierType}, flow {Flow}")]
    private partial void LogOtpDeliveryFailed(Exception exception, string brand, IdentifierType identifierType, SessionFlow flow);

    [LoggerMessage(EventId = 1007, Level = LogLevel.Information, Message = "Key family revoked: {Brand} {IdentifierType}, flow {Flow}, family {FamilyId}, reason {Reason}")]
    private partial void LogFamilyRevoked(string brand, IdentifierType identifierType, SessionFlow flow, string familyId, string reason);

    [LoggerMessage(EventId = 1008, Level = LogLevel.Warning, Message = "Could not take {Count} revoked device session(s) off a {Brand} customer's list; the next login or revocation retries")]
    private partial void LogForgetFailed(Exception exception, string brand, int count);
}
