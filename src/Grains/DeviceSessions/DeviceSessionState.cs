using Sessions.Grains.Configuration;
using Sessions.Grains.Contracts;

namespace Sessions.Grains.DeviceSessions;

/// <summary>Everything one device session remembers. Written as one record, so every decision commits atomically.</summary>
[GenerateSerializer, Alias("sessions.device-session-state")]
public sealed class DeviceSessionState
{
    [Id(0)] public PendingSession? Login { get; set; }
    [Id(1)] public PendingSession? Mfa { get; set; }
    [Id(2)] public KeyFamily? LoginFamily { get; set; }
    [Id(3)] public KeyFamily? MfaFamily { get; set; }

    /// <summary>Open web sessions, login and MFA, several at once (one per browser), oldest first.</summary>
    [Id(4)] public List<PendingSession> WebSessions { get; set; } = [];

    /// <summary>Web families (one per browser login), least recently used first.</summary>
    [Id(5)] public List<KeyFamily> WebFamilies { get; set; } = [];

    /// <summary>A change of this identifier's value waiting for the OTP sent to the new value (API.md §4.4).</summary>
    [Id(6)] public PendingIdentifierChange? IdentifierChange { get; set; }

    /// <summary>Nothing to keep: no session, no family (live or revoked), no change under way.</summary>
    public bool IsEmpty => Login is null && Mfa is null && LoginFamily is null && MfaFamily is null
        && WebSessions.Count == 0 && WebFamilies.Count == 0 && IdentifierChange is null;

    public PendingSession? FindSession(SessionFlow flow, string sessionId) =>
        (flow == SessionFlow.Login ? Login : Mfa) is { } mobile && mobile.Id == sessionId ? mobile
        : WebSessions.Find(s => s.Flow == flow && s.Id == sessionId);

    /// <summary>
    /// Stores a new or changed session: a mobile one in its flow's slot (replacing the open one), a web one in the
    /// list beside the other browsers' (which only expiry removes: an anonymous call never ends another's login).
    /// </summary>
    public void PutSession(PendingSession session)
    {
        if (session.Channel == Channel.Mobile)
        {
            if (session.Flow == SessionFlow.Login) Login = session; else Mfa = session;
            return;
        }
        var index = WebSessions.FindIndex(s => s.Id == session.Id);
        if (index >= 0)
        {
            WebSessions[index] = session;
            return;
        }
        WebSessions.Add(session);
    }

    /// <summary>Forgets the sessions that expired; true when there were any.</summary>
    public bool DropExpiredSessions(DateTimeOffset now)
    {
        var dropped = WebSessions.RemoveAll(s => s.ExpiresAt <= now) > 0;
        if (Login is { } login && login.ExpiresAt <= now)
        {
            Login = null;
            dropped = true;
        }
        if (Mfa is { } mfa && mfa.ExpiresAt <= now)
        {
            Mfa = null;
            dropped = true;
        }
        if (IdentifierChange is { } change && change.ExpiresAt <= now)
        {
            IdentifierChange = null;
            dropped = true;
        }
        return dropped;
    }

    /// <summary>
    /// Forgets the families that ended (<see cref="FamilyLifetime.IsForgettable"/>): a revoked one's keys answered 1525 or
    /// 1597 for a while, an expired one's 1597; from now on they are unknown keys (1597), and the store does not keep
    /// every device a customer ever dropped.
    /// </summary>
    private bool DropEndedFamilies(BrandOptions brand, DateTimeOffset now)
    {
        var dropped = WebFamilies.RemoveAll(f => FamilyLifetime.IsForgettable(f, brand, now)) > 0;
        if (LoginFamily is { } login && FamilyLifetime.IsForgettable(login, brand, now))
        {
            LoginFamily = null;
            dropped = true;
        }
        if (MfaFamily is { } mfa && FamilyLifetime.IsForgettable(mfa, brand, now))
        {
            MfaFamily = null;
            dropped = true;
        }
        return dropped;
    }

    /// <summary>
    /// Forgets whatever has ended by <paramref name="now"/> (sessions, a change of identifier, families); true when it
    /// forgot anything. The grain does it as it deactivates, and the store sweep to a copy it read, to tell whether the
    /// grain would be left with nothing (<see cref="IsEmpty"/>).
    /// </summary>
    public bool ForgetWhatEnded(BrandOptions brand, DateTimeOffset now) => DropExpiredSessions(now) | DropEndedFamilies(brand, now);

    /// <summary>
    /// Forgets the customer's families, and the MFA sessions and identifier change opened for them (a login session names
    /// no customer until it completes); true when there were any.
    /// </summary>
    public bool ForgetCustomer(string customerId)
    {
        var forgot = WebFamilies.RemoveAll(f => f.CustomerId == customerId) + WebSessions.RemoveAll(s => s.CustomerId == customerId) > 0;
        if (LoginFamily?.CustomerId == customerId)
        {
            (LoginFamily, forgot) = (null, true);
        }
        if (MfaFamily?.CustomerId == customerId)
        {
            (MfaFamily, forgot) = (null, true);
        }
        if (Mfa?.CustomerId == customerId)
        {
            (Mfa, forgot) = (null, true);
        }
        if (IdentifierChange?.CustomerId == customerId)
        {
            (IdentifierChange, forgot) = (null, true);
        }
        return forgot;
    }

    /// <summary>Whether a mobile session of either flow is open (the device session's place among the identifier's open logins).</summary>
    public bool HasOpenMobileSession(DateTimeOffset now) => Login?.ExpiresAt > now || Mfa?.ExpiresAt > now;

    public void EndSession(PendingSession session)
    {
        if (session.Channel == Channel.Web) WebSessions.RemoveAll(s => s.Id == session.Id);
        else if (session.Flow == SessionFlow.Login) Login = null;
        else Mfa = null;
    }

    /// <summary>Every family of the device session, mobile and web.</summary>
    public IEnumerable<KeyFamily> AllFamilies()
    {
        if (LoginFamily is { } login) yield return login;
        if (MfaFamily is { } mfa) yield return mfa;
        foreach (var web in WebFamilies) yield return web;
    }

    /// <summary>Stores a web family that was just used at the most recent end of the list, so eviction takes the front.</summary>
    public void PutUsedWebFamily(KeyFamily family)
    {
        WebFamilies.RemoveAll(f => f.Id == family.Id);
        WebFamilies.Add(family);
    }

    /// <summary>Replaces a family by id, wherever it lives.</summary>
    public void ReplaceFamily(KeyFamily family)
    {
        if (LoginFamily?.Id == family.Id) LoginFamily = family;
        else if (MfaFamily?.Id == family.Id) MfaFamily = family;
        else if (WebFamilies.FindIndex(f => f.Id == family.Id) is var index and >= 0) WebFamilies[index] = family;
    }

    public KeyFamily? Family(SessionFlow flow) => flow == SessionFlow.Login ? LoginFamily : MfaFamily;

    public void SetFamily(SessionFlow flow, KeyFamily family)
    {
        if (flow == SessionFlow.Login) LoginFamily = family; else MfaFamily = family;
    }
}

/// <summary>An open login or MFA session (<c>P-&lt;uuid&gt;</c>) and the OTP it is waiting for, if any.</summary>
[GenerateSerializer, Immutable, Alias("sessions.pending-session")]
public sealed record PendingSession
{
    [Id(0)] public string Id { get; init; } = "";
    [Id(1)] public DateTimeOffset ExpiresAt { get; init; }

    /// <summary>MFA sessions: the customer that passed the first factor.</summary>
    [Id(2)] public string? CustomerId { get; init; }

    /// <summary>
    /// The hash of a first-time password, as sessions opened before passwords were sealed kept it; applied like
    /// <see cref="SealedPassword"/>.
    /// </summary>
    [Id(3)] public string? PendingPasswordHash { get; init; }

    [Id(4)] public byte[]? OtpHash { get; init; }
    [Id(5)] public DateTimeOffset OtpExpiresAt { get; init; }
    [Id(6)] public int OtpFailures { get; init; }
    [Id(7)] public int PasswordFailures { get; init; }
    [Id(8)] public Channel Channel { get; init; }
    [Id(9)] public SessionFlow Flow { get; init; }

    /// <summary>A first-time password, sealed (<see cref="Passwords.PendingPasswords"/>), hashed and set only when the session succeeds.</summary>
    [Id(10)] public byte[]? SealedPassword { get; init; }

    /// <summary>MFA sessions: the first-factor family whose token opened it; it must still live when the MFA completes.</summary>
    [Id(11)] public FamilyReference? AuthorizedBy { get; init; }

    public bool HasPendingPassword => SealedPassword is not null || PendingPasswordHash is not null;
}

/// <summary>A change of the identifier's value, proven by the OTP sent to the new value (API.md §4.4).</summary>
[GenerateSerializer, Immutable, Alias("sessions.pending-identifier-change")]
public sealed record PendingIdentifierChange
{
    /// <summary>Binds the OTP hash: a random id per change, like a session's.</summary>
    [Id(0)] public string Id { get; init; } = "";
    [Id(1)] public string FamilyId { get; init; } = "";
    [Id(2)] public string CustomerId { get; init; } = "";
    [Id(3)] public string NewValue { get; init; } = "";
    [Id(4)] public byte[] OtpHash { get; init; } = [];
    [Id(5)] public DateTimeOffset ExpiresAt { get; init; }
    [Id(6)] public int OtpFailures { get; init; }
}

/// <summary>
/// A key family (<c>sid</c>): the chain of keys one successful validate started. Keys are kept only by id (jti),
/// never as usable keys; the previous id and the time it was rotated away give the retry grace.
/// </summary>
[GenerateSerializer, Immutable, Alias("sessions.key-family")]
public sealed record KeyFamily
{
    [Id(0)] public string Id { get; init; } = "";
    [Id(1)] public string CustomerId { get; init; } = "";
    [Id(2)] public SessionRole Role { get; init; }
    [Id(3)] public DateTimeOffset CreatedAt { get; init; }
    [Id(4)] public DateTimeOffset LastUsedAt { get; init; }
    [Id(5)] public IssuedKey CurrentKey { get; init; } = null!;
    [Id(6)] public string? PreviousKeyId { get; init; }
    [Id(7)] public DateTimeOffset? RotatedAt { get; init; }
    [Id(8)] public DateTimeOffset? RevokedAt { get; init; }
    [Id(9)] public bool RevokedForReuse { get; init; }
    [Id(10)] public Channel Channel { get; init; }
    [Id(11)] public SessionFlow Flow { get; init; }

    /// <summary>
    /// MFA families: the first-factor family that authorised the MFA. A password change keeps the chain of the token
    /// it was made with (that family, the one that authorised it, and those it authorised) and nothing else.
    /// </summary>
    [Id(12)] public string? AuthorizedByFamilyId { get; init; }

    /// <summary>The device key the family is bound to (its JWK thumbprint, API.md §4.7); null for a bearer family. Never unset.</summary>
    [Id(13)] public string? DeviceKeyThumbprint { get; init; }

    /// <summary>The ids of the proofs the family accepted that could still be fresh: each is accepted once.</summary>
    [Id(14)] public IReadOnlyList<UsedProof> UsedProofs { get; init; } = [];

    public bool IsRevoked => RevokedAt is not null;

    /// <summary>Whether the proof's id was accepted before and could still be fresh.</summary>
    public bool HasUsed(DeviceProof proof, DateTimeOffset now) => UsedProofs.Any(p => p.Id == proof.ProofId && p.FreshUntil > now);

    public int FreshProofCount(DateTimeOffset now) => UsedProofs.Count(p => p.FreshUntil > now);

    /// <summary>The family with the proof's key bound (if it was not yet) and its id remembered; ids no longer fresh are dropped.</summary>
    public KeyFamily WithProof(DeviceProof proof, DateTimeOffset now) => this with
    {
        DeviceKeyThumbprint = DeviceKeyThumbprint ?? proof.KeyThumbprint,
        UsedProofs = [.. UsedProofs.Where(p => p.FreshUntil > now), new UsedProof { Id = proof.ProofId, FreshUntil = proof.FreshUntil }],
    };
}

/// <summary>A proof a family accepted, remembered while it could be fresh.</summary>
[GenerateSerializer, Immutable, Alias("sessions.used-proof")]
public sealed record UsedProof
{
    [Id(0)] public string Id { get; init; } = "";
    [Id(1)] public DateTimeOffset FreshUntil { get; init; }
}
