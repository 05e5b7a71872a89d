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

    public PendingSession? FindSession(SessionFlow flow, string sessionId) =>
        (flow == SessionFlow.Login ? Login : Mfa) is { } mobile && mobile.Id == sessionId ? mobile
        : WebSessions.Find(s => s.Flow == flow && s.Id == sessionId);

    /// <summary>Stores a new or changed session: a mobile one in its flow's slot, a web one in the list.</summary>
    public void PutSession(PendingSession session, int maxWebSessions)
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
        if (WebSessions.Count > maxWebSessions)
        {
            WebSessions.RemoveRange(0, WebSessions.Count - maxWebSessions);
        }
    }

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

    /// <summary>The password hash to set when the session succeeds (first-time password set-up).</summary>
    [Id(3)] public string? PendingPasswordHash { get; init; }

    [Id(4)] public byte[]? OtpHash { get; init; }
    [Id(5)] public DateTimeOffset OtpExpiresAt { get; init; }
    [Id(6)] public int OtpFailures { get; init; }
    [Id(7)] public int PasswordFailures { get; init; }
    [Id(8)] public Channel Channel { get; init; }
    [Id(9)] public SessionFlow Flow { get; init; }
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

    public bool IsRevoked => RevokedAt is not null;
}
