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
/// </summary>
[GrainType("device-session")]
internal sealed partial class DeviceSessionGrain(
    [PersistentState("device-session", ServiceKeys.Storage)] IPersistentState<DeviceSessionState> state,
    [FromKeyedServices(ServiceKeys.Clock)] TimeProvider clock,
    IOptions<SessionsOptions> options,
    OtpHasher otpHasher,
    IOtpSender otpSender,
    ILogger<DeviceSessionGrain> logger) : Grain, IDeviceSessionGrain
{
    // Touching "last used" on every non-rotating regenerate would cost a storage write per call; an hour of
    // imprecision on a 90-day idle limit is immaterial.
    private static readonly TimeSpan LastUsedResolution = TimeSpan.FromHours(1);

    private Identifier _identifier = null!;
    private string _deviceId = "";
    private BrandOptions _brand = null!;

    private DeviceSessionState State => state.State;
    private DateTimeOffset Now => clock.GetUtcNow();

    public override Task OnActivateAsync(CancellationToken cancellationToken)
    {
        (_identifier, _deviceId) = GrainKeys.ParseDeviceSession(this.GetPrimaryKeyString());
        _brand = options.Value.GetBrand(_identifier.Brand);
        return Task.CompletedTask;
    }

    public async Task<SessionOpened> OpenLoginSessionAsync(string? pendingPasswordHash)
    {
        var customerId = await IdentifierGrain.GetCustomerIdAsync();
        var profile = customerId is null ? null : await Customer(customerId).GetProfileAsync();
        if (customerId is null && pendingPasswordHash is null && _brand.PasswordEnabled && _brand.RequirePasswordOnSignUp)
        {
            return SessionOpened.Failed(AuthError.PasswordRequired);
        }

        var session = new PendingSession
        {
            Id = RandomIds.NewSessionId(),
            ExpiresAt = Now.AddMinutes(_brand.SessionMinutes),
            PendingPasswordHash = profile?.HasPassword == true ? null : pendingPasswordHash,
        };
        State.Login = session;
        await SaveAsync();
        return new SessionOpened
        {
            SessionId = session.Id,
            ExpiresAt = session.ExpiresAt,
            AppRegistered = customerId is not null,
            UserRegisteredForPassword = profile?.HasPassword == true,
        };
    }

    public async Task<SessionOpened> OpenMfaSessionAsync(string customerId, string? pendingMfaPasswordHash)
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
        var session = new PendingSession
        {
            Id = RandomIds.NewSessionId(),
            ExpiresAt = Now.AddMinutes(_brand.MfaSessionMinutes),
            CustomerId = customerId,
            PendingPasswordHash = profile.HasMfaPassword ? null : pendingMfaPasswordHash,
        };
        State.Mfa = session;
        await SaveAsync();
        return new SessionOpened
        {
            SessionId = session.Id,
            ExpiresAt = session.ExpiresAt,
            AppRegistered = true,
            UserRegisteredForPassword = profile.HasMfaPassword,
        };
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

        State.SetSession(flow, session with { OtpHash = otpHasher.Hash(session.Id, code), OtpExpiresAt = otpExpiresAt });
        await SaveAsync();
        return Outcome.Ok;
    }

    public async Task<Grant> ValidateOtpAsync(SessionFlow flow, string sessionId, string otp)
    {
        if (OpenSession(flow, sessionId) is not { } session)
        {
            return Grant.Failed(AuthError.InvalidSession);
        }
        if (await VerifyOtpAsync(flow, session, otp) is { Succeeded: false } refused)
        {
            return Grant.Failed(refused);
        }

        return await CompleteAsync(flow, session);
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
        if (await VerifyPasswordAsync(flow, session, customerId, password) is { Succeeded: false } refused)
        {
            return Grant.Failed(refused);
        }

        return await CompleteAsync(flow, session with { PendingPasswordHash = null }, customerId!);
    }

    public async Task<Grant> RegenerateAsync(SessionFlow flow, string familyId, string keyId)
    {
        var family = State.Family(flow);
        if (family is null || family.Id != familyId)
        {
            return Grant.Failed(AuthError.InvalidKey);
        }
        if (family.RevokedForReuse)
        {
            return Grant.Failed(AuthError.KeyReused);
        }
        if (family.IsRevoked || IsExpired(flow, family))
        {
            return Grant.Failed(AuthError.InvalidKey);
        }

        var now = Now;
        if (keyId == family.CurrentKey.KeyId)
        {
            if (_brand.RotateKeyOnRegenerate)
            {
                var successor = NewKey(flow, family.CreatedAt);
                family = family with
                {
                    PreviousKeyId = family.CurrentKey.KeyId,
                    RotatedAt = now,
                    CurrentKey = successor,
                    LastUsedAt = now,
                };
                State.SetFamily(flow, family);
                await SaveAsync();
                return GrantFor(family, successor);
            }

            if (now - family.LastUsedAt >= LastUsedResolution)
            {
                State.SetFamily(flow, family with { LastUsedAt = now });
                await SaveAsync();
            }
            return GrantFor(family, key: null);
        }

        if (keyId == family.PreviousKeyId && now - family.RotatedAt <= TimeSpan.FromSeconds(_brand.KeyReuseGraceSeconds))
        {
            // A retry of a regenerate whose answer was lost, or a concurrent twin: the same successor again.
            return GrantFor(family, family.CurrentKey);
        }

        State.SetFamily(flow, family with { RevokedAt = now, RevokedForReuse = true });
        await SaveAsync();
        await ForgetIfNoLiveFamilyAsync(family.CustomerId);
        return Grant.Failed(AuthError.KeyReused);
    }

    public async Task<Outcome> ExpireMfaFamilyAsync(string familyId)
    {
        if (State.MfaFamily is not { IsRevoked: false } family || family.Id != familyId)
        {
            return Outcome.Failed(AuthError.UnableToExpireToken);
        }

        State.MfaFamily = family with { RevokedAt = Now };
        await SaveAsync();
        await ForgetIfNoLiveFamilyAsync(family.CustomerId);
        return Outcome.Ok;
    }

    public async Task<Outcome> ChangePasswordAsync(PasswordKind kind, string customerId, string currentPassword, string newPasswordHash)
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
        await RevokeElsewhereAsync(changed, customerId, mfaOnly: kind == PasswordKind.Mfa, keepDeviceId: _deviceId, "password changed");
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
            : await VerifyOtpAsync(flow, session, otp);
        if (!verified.Succeeded)
        {
            return verified;
        }

        await IdentifierGrain.RecordSuccessAsync();
        var kind = flow == SessionFlow.Login ? PasswordKind.Primary : PasswordKind.Mfa;
        var changed = await Customer(customerId).ResetPasswordAsync(kind, newPasswordHash);
        await RevokeElsewhereAsync(changed, customerId, mfaOnly: kind == PasswordKind.Mfa, keepDeviceId: null, "password reset");

        State.SetSession(flow, null);
        RevokeOwnFamilies(customerId, mfaOnly: kind == PasswordKind.Mfa);
        await SaveAsync();
        await ForgetIfNoLiveFamilyAsync(customerId);
        return Outcome.Ok;
    }

    public async Task RevokeFamiliesAsync(string customerId, bool mfaOnly, string reason)
    {
        if (RevokeOwnFamilies(customerId, mfaOnly))
        {
            await SaveAsync();
            LogFamilyRevoked(_identifier.Brand, _identifier.Type, mfaOnly ? SessionFlow.Mfa : SessionFlow.Login, "*", reason);
        }
    }

    /// <summary>Checks an OTP against the session; a wrong one is counted on the session and on the identifier.</summary>
    private async Task<Outcome> VerifyOtpAsync(SessionFlow flow, PendingSession session, string otp)
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
        State.SetSession(flow, session with { OtpFailures = failures });
        await SaveAsync();
        return !failure.Succeeded ? failure
            : Outcome.Failed(failures >= _brand.Otp.MaxAttempts ? AuthError.OtpAttemptsExhausted : AuthError.InvalidOtp);
    }

    /// <summary>
    /// Checks the customer's password for the session; a wrong one (or no customer, or no password) is counted on
    /// the session and on the identifier, like a wrong OTP.
    /// </summary>
    private async Task<Outcome> VerifyPasswordAsync(SessionFlow flow, PendingSession session, string? customerId, string password)
    {
        if (session.PasswordFailures >= _brand.Password.MaxAttempts)
        {
            return Outcome.Failed(AuthError.PasswordAttemptsExhausted);
        }
        if (await IdentifierGrain.CheckLockAsync() is { Succeeded: false } locked)
        {
            return locked;
        }
        var kind = flow == SessionFlow.Login ? PasswordKind.Primary : PasswordKind.Mfa;
        if (customerId is not null && await Customer(customerId).VerifyPasswordAsync(kind, password))
        {
            return Outcome.Ok;
        }

        var failure = await IdentifierGrain.RecordFailureAsync();
        var failures = session.PasswordFailures + 1;
        State.SetSession(flow, session with { PasswordFailures = failures });
        await SaveAsync();
        return !failure.Succeeded ? failure
            : Outcome.Failed(failures >= _brand.Password.MaxAttempts ? AuthError.PasswordAttemptsExhausted : AuthError.InvalidPassword);
    }

    /// <summary>
    /// Revokes the customer's families on the other device sessions a password change names. Where every family went
    /// (not only the MFA ones), those device sessions hold nothing of the customer's and leave its list.
    /// </summary>
    private async Task RevokeElsewhereAsync(PasswordChanged changed, string customerId, bool mfaOnly, string? keepDeviceId, string reason)
    {
        var self = this.GetPrimaryKeyString();
        var others = changed.DeviceSessions
            .Where(key => key != self && (keepDeviceId is null || GrainKeys.ParseDeviceSession(key).DeviceId != keepDeviceId))
            .ToArray();
        await RevokeAsync(others, customerId, mfaOnly, reason);
        if (!mfaOnly)
        {
            await ForgetAsync(customerId, others, changed.AsOf);
        }
    }

    private Task RevokeAsync(IEnumerable<string> deviceSessions, string customerId, bool mfaOnly, string reason) =>
        Task.WhenAll(deviceSessions.Select(key => GrainFactory.GetGrain<IDeviceSessionGrain>(key).RevokeFamiliesAsync(customerId, mfaOnly, reason)));

    /// <summary>Takes this device session off the customer's list once it holds none of the customer's live families.</summary>
    private Task ForgetIfNoLiveFamilyAsync(string customerId) =>
        new[] { State.LoginFamily, State.MfaFamily }.Any(f => f is { IsRevoked: false } && f.CustomerId == customerId)
            ? Task.CompletedTask
            : ForgetAsync(customerId, [this.GetPrimaryKeyString()], long.MaxValue);

    /// <summary>
    /// Best effort: the revocation this follows has committed, so a failure here must not fail the call. An entry
    /// left behind only costs a place in the customer's bounded list and a no-op revocation later.
    /// </summary>
    private async Task ForgetAsync(string customerId, IReadOnlyList<string> deviceSessions, long asOf)
    {
        if (deviceSessions.Count == 0)
        {
            return;
        }
        try
        {
            await Customer(customerId).ForgetDeviceSessionsAsync(deviceSessions, asOf);
        }
        catch (Exception e) when (e is OrleansException or TimeoutException)
        {
            LogForgetFailed(e, _identifier.Brand, deviceSessions.Count);
        }
    }

    private bool RevokeOwnFamilies(string customerId, bool mfaOnly)
    {
        var revoked = false;
        foreach (var flow in mfaOnly ? [SessionFlow.Mfa] : new[] { SessionFlow.Login, SessionFlow.Mfa })
        {
            if (State.Family(flow) is { IsRevoked: false } family && family.CustomerId == customerId)
            {
                State.SetFamily(flow, family with { RevokedAt = Now });
                revoked = true;
            }
        }
        return revoked;
    }

    private async Task<Grant> CompleteAsync(SessionFlow flow, PendingSession session, string? knownCustomerId = null)
    {
        await IdentifierGrain.RecordSuccessAsync();
        string customerId;
        SessionRole role;
        FactorCompleted completed;
        if (flow == SessionFlow.Login)
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
        if (completed.EvictedDeviceSessions.Count > 0)
        {
            await RevokeAsync(completed.EvictedDeviceSessions, customerId, mfaOnly: false, "device-session limit");
            await ForgetAsync(customerId, completed.EvictedDeviceSessions, completed.AsOf);
        }

        var now = Now;
        var previous = State.Family(flow);
        var family = new KeyFamily
        {
            Id = RandomIds.NewTokenId(),
            CustomerId = customerId,
            Role = role,
            CreatedAt = now,
            LastUsedAt = now,
            CurrentKey = NewKey(flow, now),
        };
        State.SetSession(flow, null);
        State.SetFamily(flow, family);
        await SaveAsync();

        if (previous is { IsRevoked: false })
        {
            LogFamilyRevoked(_identifier.Brand, _identifier.Type, flow, previous.Id, "replaced by a new login");
        }
        if (previous is not null && previous.CustomerId != customerId)
        {
            await ForgetIfNoLiveFamilyAsync(previous.CustomerId);
        }
        var issuesKey = flow == SessionFlow.Login ? _brand.IssuePrimaryKey : _brand.IssueMfaKey;
        return GrantFor(family, issuesKey ? family.CurrentKey : null);
    }

    private PendingSession? OpenSession(SessionFlow flow, string sessionId) =>
        State.Session(flow) is { } session && session.Id == sessionId && Now < session.ExpiresAt ? session : null;

    private IssuedKey NewKey(SessionFlow flow, DateTimeOffset familyCreatedAt) => new()
    {
        KeyId = RandomIds.NewTokenId(),
        IssuedAt = Now,
        ExpiresAt = KeyLifetime(flow) is { } lifetime ? familyCreatedAt + lifetime : null,
    };

    private TimeSpan? KeyLifetime(SessionFlow flow) =>
        (flow == SessionFlow.Login ? _brand.KeyExpiryMinutes : _brand.MfaKeyExpiryMinutes) is { } minutes
            ? TimeSpan.FromMinutes(minutes)
            : null;

    private bool IsExpired(SessionFlow flow, KeyFamily family) =>
        KeyLifetime(flow) is { } lifetime && Now >= family.CreatedAt + lifetime
        || Now - family.LastUsedAt > TimeSpan.FromDays(_brand.KeyIdleDays);

    private static Grant GrantFor(KeyFamily family, IssuedKey? key) => new()
    {
        CustomerId = family.CustomerId,
        Role = family.Role,
        FamilyId = family.Id,
        Key = key,
    };

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

    [LoggerMessage(EventId = 1008, Level = LogLevel.Warning, Message = "Could not take {Count} revoked device session(s) off a {Brand} customer's list; the next login or revocation retries")]
    private partial void LogForgetFailed(Exception exception, string brand, int count);

    [LoggerMessage(EventId = 1007, Level = LogLevel.Information, Message = "Key family revoked: {Brand} {IdentifierType}, flow {Flow}, family {FamilyId}, reason {Reason}")]
    private partial void LogFamilyRevoked(string brand, IdentifierType identifierType, SessionFlow flow, string familyId, string reason);
}
