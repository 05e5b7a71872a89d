using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Sessions.Grains.Configuration;
using Sessions.Grains.Contracts;
using Sessions.Grains.Identity;
using Sessions.Grains.Otp;
using Sessions.Grains.Passwords;

namespace Sessions.Grains.DeviceSessions;

/// <summary>
/// The single writer of one device session's sessions and key families. Non-reentrant: each call reads, decides
/// and writes before the next one starts, so a key can never rotate twice from the same predecessor.
/// Other grains are called before any change to this grain's state, so a failure never leaves a half-made change.
/// This file holds the sessions and the factors that complete them; DeviceSessionGrain.Credentials.cs the checks of
/// OTPs and passwords and the password changes, DeviceSessionGrain.Families.cs the families,
/// DeviceSessionGrain.IdentifierChange.cs the move to a new identifier value.
/// </summary>
[GrainType(GrainTypes.DeviceSession)]
internal sealed partial class DeviceSessionGrain(
    [PersistentState(GrainTypes.DeviceSession, ServiceKeys.Storage)] IPersistentState<DeviceSessionState> state,
    [FromKeyedServices(ServiceKeys.Clock)] TimeProvider clock,
    IOptions<SessionsOptions> options,
    OtpHasher otpHasher,
    PendingPasswords pendingPasswords,
    PasswordWork passwords,
    IOtpSender otpSender,
    ILogger<DeviceSessionGrain> logger) : Grain, IDeviceSessionGrain, ITidyGrain
{
    // One write at a time: revocations interleave (RevokeFamiliesAsync), and each write must carry the whole state as
    // it is when the write begins, after the write before it has finished. Made by the first write, because many
    // activations never write (a regenerate without rotation writes at most once an hour). The grain's turns never run
    // in parallel, even when they interleave, so no two turns can both make it.
    private SemaphoreSlim? _writes;

    private Identifier _identifier = null!;
    private string _deviceId = "";
    private string _key = "";
    private BrandOptions _brand = null!;

    // The device keys of this device session's bound families, imported once per activation.
    private readonly DeviceProofSignatures _proofSignatures = new();

    // Counts revocations that interleaved (RevokeFamiliesAsync): a login that was completing meanwhile must not
    // start a family the revocation could not see.
    private long _revocations;

    private DeviceSessionState State => state.State;
    private DateTimeOffset Now => clock.GetUtcNow();

    public override Task OnActivateAsync(CancellationToken cancellationToken)
    {
        _key = this.GetPrimaryKeyString();
        (_identifier, _deviceId) = GrainKeys.ParseDeviceSession(_key);
        _brand = options.Value.GetBrand(_identifier.Brand);
        // States written before sessions and families named their flow: the slot tells it.
        if (State.Mfa is { Flow: not SessionFlow.Mfa } mfa)
        {
            State.Mfa = mfa with { Flow = SessionFlow.Mfa };
        }
        if (State.MfaFamily is { Flow: not SessionFlow.Mfa } family)
        {
            State.MfaFamily = family with { Flow = SessionFlow.Mfa };
        }
        return Task.CompletedTask;
    }

    public override async Task OnDeactivateAsync(DeactivationReason reason, CancellationToken cancellationToken)
    {
        try
        {
            await ForgetWhatEndedAsync();
        }
        catch (Exception e) when (e is OrleansException or TimeoutException)
        {
            LogTidyFailed(e);
        }
        finally
        {
            _proofSignatures.Dispose();
        }
    }

    public async Task<bool> TidyAsync()
    {
        if (!await ForgetWhatEndedAsync())
        {
            return false;
        }
        // Activated by the store sweep for this alone, most likely: nothing is left to keep in memory either.
        DeactivateOnIdle();
        return true;
    }

    /// <summary>
    /// Forgets expired sessions and ended families; a device session that holds nothing (an anonymous caller's expired
    /// login, say, or families that ended long ago) keeps no stored state. True when it holds nothing.
    /// </summary>
    private async Task<bool> ForgetWhatEndedAsync()
    {
        var dropped = State.ForgetWhatEnded(_brand, Now);
        return (State.IsEmpty || dropped && state.RecordExists) && await SaveOrClearAsync();
    }

    /// <summary>Writes the state, or takes it out of the store when it holds nothing; true when it holds nothing.</summary>
    private async Task<bool> SaveOrClearAsync()
    {
        if (!State.IsEmpty)
        {
            await SaveAsync();
            return false;
        }
        if (state.RecordExists)
        {
            await state.ClearStateAsync();
        }
        return true;
    }

    public async Task<SessionOpened> OpenLoginSessionAsync(Channel channel, string? pendingPassword)
    {
        var session = NewSession(channel, SessionFlow.Login, _brand.SessionMinutes);
        var reservation = await ReserveOpenLoginAsync(session);
        if (reservation.Error != AuthError.None)
        {
            return SessionOpened.Failed(reservation.Error, reservation.RetryAfter);
        }

        var customerId = reservation.CustomerId;
        var profile = customerId is null ? null : await Customer(customerId).GetProfileAsync();
        if (customerId is null && pendingPassword is null && _brand.PasswordEnabled && _brand.RequirePasswordOnSignUp)
        {
            await ReleaseOpenLoginAsync(session);
            return SessionOpened.Failed(AuthError.PasswordRequired);
        }

        session = session with
        {
            SealedPassword = profile?.HasPassword == true || pendingPassword is null ? null : pendingPasswords.Seal(session.Id, pendingPassword),
        };
        State.DropExpiredSessions(Now);
        State.PutSession(session);
        await SaveAsync();
        return Opened(session, appRegistered: customerId is not null, hasPassword: profile?.HasPassword == true);
    }

    public async Task<SessionOpened> OpenMfaSessionAsync(Channel channel, FamilyReference authorizedBy, string? pendingMfaPassword)
    {
        if (!_brand.MfaEnabled)
        {
            return SessionOpened.Failed(AuthError.MfaNotEnabled);
        }
        if (!await IsFamilyAliveAsync(authorizedBy))
        {
            return SessionOpened.Failed(AuthError.InvalidToken);
        }

        var session = NewSession(channel, SessionFlow.Mfa, _brand.MfaSessionMinutes);
        var reservation = await ReserveOpenLoginAsync(session);
        if (reservation.Error != AuthError.None)
        {
            return SessionOpened.Failed(reservation.Error, reservation.RetryAfter);
        }

        // A second factor is something the customer proved they hold (API.md §4.2): an identifier linked to them, or,
        // for a customer who never completed MFA, one that no one holds (linked only once its OTP proves it).
        var customerId = authorizedBy.CustomerId;
        var profile = await Customer(customerId).GetProfileAsync();
        var owner = reservation.CustomerId;
        if (owner is not null && owner != customerId && await ReleaseIfErasedAsync(owner))
        {
            owner = null;
        }
        if (owner is not null ? owner != customerId : profile.MfaCompleted)
        {
            await ReleaseOpenLoginAsync(session);
            return SessionOpened.Failed(AuthError.InvalidDetails);
        }

        session = session with
        {
            CustomerId = customerId,
            AuthorizedBy = authorizedBy,
            SealedPassword = profile.HasMfaPassword || pendingMfaPassword is null ? null : pendingPasswords.Seal(session.Id, pendingMfaPassword),
        };
        State.DropExpiredSessions(Now);
        State.PutSession(session);
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
        var purpose = flow == SessionFlow.Login ? OtpPurpose.LOGIN : OtpPurpose.MFA;
        var (code, refusal) = await SendCodeAsync(_identifier, purpose, otpExpiresAt);
        if (code is null)
        {
            return refusal;
        }

        State.PutSession(session with { OtpHash = otpHasher.Hash(session.Id, code), OtpExpiresAt = otpExpiresAt });
        await SaveAsync();
        return Outcome.Ok;
    }

    public async Task<Grant> ValidateOtpAsync(SessionFlow flow, string sessionId, string otp, DeviceProof? proof)
    {
        if (OpenSession(flow, sessionId) is not { } session)
        {
            return Grant.Failed(AuthError.InvalidSession);
        }
        if (DeviceBindingRule.NewFamilyRefusal(proof, _brand.DeviceBinding, _proofSignatures) is { } unbindable)
        {
            return Grant.Failed(unbindable);
        }
        if (await CheckOtpAsync(session, otp) is { Succeeded: false } refused)
        {
            return Grant.Failed(refused);
        }

        return await CompleteAsync(session, proof, Factors.Otp);
    }

    public async Task<Grant> ValidatePasswordAsync(SessionFlow flow, string sessionId, string password, DeviceProof? proof)
    {
        if (OpenSession(flow, sessionId) is not { } session)
        {
            return Grant.Failed(AuthError.InvalidSession);
        }
        if (DeviceBindingRule.NewFamilyRefusal(proof, _brand.DeviceBinding, _proofSignatures) is { } unbindable)
        {
            return Grant.Failed(unbindable);
        }
        if (!(flow == SessionFlow.Login ? _brand.PasswordEnabled : _brand.MfaPasswordEnabled))
        {
            return Grant.Failed(AuthError.PasswordNotEnabled);
        }
        var owner = await IdentifierGrain.GetCustomerIdAsync();
        if (flow == SessionFlow.Mfa && owner != session.CustomerId)
        {
            // A password proves nothing about an identifier: enrolling a new second factor takes its OTP.
            return Grant.Failed(AuthError.InvalidDetails);
        }
        var customerId = flow == SessionFlow.Mfa ? session.CustomerId : owner;
        if (await CheckPasswordAsync(session, customerId, password) is { Succeeded: false } refused)
        {
            return Grant.Failed(refused);
        }

        return await CompleteAsync(session, proof, Factors.Password, customerId!);
    }

    /// <summary>
    /// A factor passed: the customer records it (and hands back device sessions beyond its limit, revoked here), and
    /// the session becomes a new family of its channel. A first-time password is hashed first, so that a full hashing
    /// pool refuses the call with nothing changed and the same OTP or password still works on the retry.
    /// </summary>
    private async Task<Grant> CompleteAsync(PendingSession session, DeviceProof? proof, string factor, string? knownCustomerId = null)
    {
        var pendingHash = session.PendingPasswordHash;
        if (session.SealedPassword is { } sealedPassword && pendingPasswords.Open(session.Id, sealedPassword) is { } pendingPassword)
        {
            if (await passwords.TryHashAsync(pendingPassword) is not { } hashed)
            {
                return Grant.Failed(AuthError.TooManyRequests, PasswordWorkRetryAfter);
            }
            pendingHash = hashed;
        }

        var revocations = _revocations;
        string customerId;
        SessionRole role;
        FactorCompleted completed;
        if (session.Flow == SessionFlow.Login)
        {
            customerId = knownCustomerId ?? await IdentifierGrain.EnsureCustomerIdAsync();
            completed = await Customer(customerId).CompleteFirstFactorAsync(pendingHash, _key);
            if (completed.CustomerErased)
            {
                // The customer was erased while this identifier still named them (a login that raced the erasure, or an
                // identifier it could not see): the identifier lets go, and whoever proved it now is a new customer.
                await IdentifierGrain.ReleaseAsync(customerId);
                customerId = await IdentifierGrain.EnsureCustomerIdAsync();
                completed = await Customer(customerId).CompleteFirstFactorAsync(pendingHash, _key);
            }
            role = _brand.MfaEnabled && (_brand.ForcedMfa || completed.Profile.MfaCompleted) ? SessionRole.MFA_PENDING : SessionRole.USER;
        }
        else
        {
            customerId = session.CustomerId!;
            if (session.AuthorizedBy is { } authorizedBy && !await IsFamilyAliveAsync(authorizedBy))
            {
                // The first factor's family died (logout, revocation, password change) while the MFA was open.
                return Grant.Failed(AuthError.InvalidSession);
            }
            var owner = await IdentifierGrain.GetCustomerIdAsync();
            if (owner is not null && owner != customerId)
            {
                return Grant.Failed(AuthError.InvalidDetails);
            }
            var enrolling = owner is null;
            completed = await Customer(customerId).CompleteSecondFactorAsync(pendingHash, _key, enrolling);
            if (!completed.IsRefused && enrolling && !await IdentifierGrain.LinkAsync(customerId))
            {
                return Grant.Failed(AuthError.InvalidDetails);
            }
            role = SessionRole.USER;
        }
        if (completed.IsRefused)
        {
            return Grant.Failed(completed.Refusal);
        }
        if (completed.EvictedDeviceSessions.Count > 0)
        {
            await RevokeAsync(completed.EvictedDeviceSessions, customerId, mfaOnly: false, keep: [], RevocationReasons.DeviceSessionLimit);
        }
        if (_revocations != revocations)
        {
            // A password change or an identifier move revoked this customer's families while the factor completed.
            return Grant.Failed(AuthError.InvalidSession);
        }

        State.EndSession(session);
        var grant = session.Channel == Channel.Web
            ? await StartWebFamilyAsync(session.Flow, customerId, role, session.AuthorizedBy, proof)
            : await StartMobileFamilyAsync(session.Flow, customerId, role, session.AuthorizedBy, proof);
        await ReleaseOpenLoginAsync(session);
        await RecordLoginAsync(grant, factor);
        return grant;
    }

    /// <summary>
    /// An identifier that still names an erased customer (a move that raced the erasure linked it) lets go of them as a
    /// second factor is opened on it, so that the customer who proves it next can enrol it; true when it did.
    /// </summary>
    private async Task<bool> ReleaseIfErasedAsync(string owner)
    {
        if ((await Customer(owner).DescribeAsync())?.ErasedAt is null)
        {
            return false;
        }
        return await IdentifierGrain.ReleaseAsync(owner);
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

    private PendingSession? OpenSession(SessionFlow flow, string sessionId) =>
        State.FindSession(flow, sessionId) is { } session && Now < session.ExpiresAt ? session : null;

    /// <summary>
    /// The session's place among the identifier's open logins (API.md §7: MaxOpenLogins), and the identifier's owner.
    /// A mobile session takes its device session's one place; each browser's session a place of its own.
    /// </summary>
    private async Task<OpenLoginReservation> ReserveOpenLoginAsync(PendingSession session)
    {
        var openWebSessions = State.WebSessions.Where(s => s.ExpiresAt > Now).ToList();
        if (session.Channel == Channel.Web && openWebSessions.Count >= _brand.MaxOpenLogins)
        {
            // This device session's own browsers fill the identifier's places (its identifier grain may have lost count).
            return new OpenLoginReservation { Error = AuthError.OtpSendLimitReached, RetryAfter = openWebSessions.Min(s => s.ExpiresAt) - Now };
        }
        return await IdentifierGrain.ReserveOpenLoginAsync(OpenLoginHolder(session), session.ExpiresAt);
    }

    /// <summary>
    /// Gives the session's place back once it is over. Best effort: the place is only borrowed until the session's
    /// expiry, which frees it anyway.
    /// </summary>
    private async Task ReleaseOpenLoginAsync(PendingSession session)
    {
        if (session.Channel == Channel.Mobile && State.HasOpenMobileSession(Now))
        {
            return;
        }
        try
        {
            await IdentifierGrain.ReleaseOpenLoginAsync(OpenLoginHolder(session));
        }
        catch (Exception e) when (e is OrleansException or TimeoutException)
        {
            LogTidyFailed(e);
        }
    }

    private string OpenLoginHolder(PendingSession session) => session.Channel == Channel.Web ? $"{_key}#{session.Id}" : _key;

    /// <summary>
    /// Sends a fresh code to <paramref name="to"/> and answers it; a test identifier's fixed code is answered and nothing
    /// is sent. No code, and why, when the send window, a lock or the delivery refused it.
    /// </summary>
    private async Task<(string? Code, Outcome Refusal)> SendCodeAsync(Identifier to, OtpPurpose purpose, DateTimeOffset expiresAt)
    {
        var limits = IdentifierGrainOf(to);
        if (FixedTestCode(to) is { } fixedCode)
        {
            // Test identifiers send nothing, so they take nothing from the send window; a lock still holds.
            var lockCheck = await limits.CheckLockAsync();
            return (lockCheck.Succeeded ? fixedCode : null, lockCheck);
        }
        if (await limits.TryReserveOtpSendAsync() is { Succeeded: false } refused)
        {
            return (null, refused);
        }

        var code = OtpHasher.NewCode(_brand.Otp.Length);
        try
        {
            await otpSender.SendAsync(new OtpMessage { Identifier = to, DeviceId = _deviceId, Purpose = purpose, Code = code, ExpiresAt = expiresAt }, CancellationToken.None);
            return (code, Outcome.Ok);
        }
        catch (OtpDeliveryException e)
        {
            await limits.ReleaseOtpSendAsync();
            LogOtpDeliveryFailed(e, to.Brand, to.Type, purpose);
            return (null, Outcome.Failed(AuthError.OtpDeliveryFailed));
        }
    }

    private string? FixedTestCode(Identifier identifier)
    {
        foreach (var test in _brand.TestIdentifiers)
        {
            if (IdentifierRules.TryParseType(test.IdentifierType, out var type) && type == identifier.Type
                && IdentifierRules.NormalizeValue(type, test.IdentifierValue, out _) == identifier.Value)
            {
                return test.Otp;
            }
        }
        return null;
    }

    private static DateTimeOffset Min(DateTimeOffset a, DateTimeOffset b) => a < b ? a : b;

    private IIdentifierGrain IdentifierGrain => IdentifierGrainOf(_identifier);

    private ICustomerGrain Customer(string customerId) =>
        GrainFactory.GetGrain<ICustomerGrain>(GrainKeys.Customer(_identifier.Brand, customerId));

    private async Task SaveAsync()
    {
        _writes ??= new(1, 1);
        await _writes.WaitAsync();
        try
        {
            await state.WriteOrDeactivateAsync(DeactivateOnIdle);
        }
        finally
        {
            _writes.Release();
        }
    }

    // Logins, rejections, rotations and reuse are in the API's audit trail (with the client address); the grain
    // logs only what the API cannot see: failed deliveries and revocations of families on this device.
    [LoggerMessage(EventId = 1004, Level = LogLevel.Warning, Message = "OTP delivery failed: {Brand} {IdentifierType}, purpose {Purpose}")]
    private partial void LogOtpDeliveryFailed(Exception exception, string brand, IdentifierType identifierType, OtpPurpose purpose);

    [LoggerMessage(EventId = 1007, Level = LogLevel.Information, Message = "Key family revoked: {Brand} {IdentifierType}, flow {Flow}, family {FamilyId}, reason {Reason}")]
    private partial void LogFamilyRevoked(string brand, IdentifierType identifierType, SessionFlow flow, string familyId, string reason);

    [LoggerMessage(EventId = 1008, Level = LogLevel.Warning, Message = "Could not take {Count} revoked device session(s) off a {Brand} customer's list; the next login or revocation retries")]
    private partial void LogForgetFailed(Exception exception, string brand, int count);

    [LoggerMessage(EventId = 1009, Level = LogLevel.Information, Message = "Could not tidy a device session (an open-login place, or expired sessions); expiry does it instead")]
    private partial void LogTidyFailed(Exception exception);
}
