using System.Text.Json;
using Microsoft.Extensions.Logging;
using Sessions.Client.DeviceKeys;
using Sessions.Client.Keeping;
using Sessions.Client.Transport;

namespace Sessions.Client;

/// <summary>
/// Keeps one device session alive: hands out a valid USER token, regenerates it before it expires, and rotates the
/// key so that no crash, lost answer, second thread or second process can lose the rotation or present a key twice.
/// </summary>
/// <remarks>
/// <para>One regenerate at a time, across every caller of this keeper and every process sharing its store: callers
/// join the regenerate in flight, which no caller's cancellation stops.</para>
/// <para>Before a regenerate is sent, the store records it as pending; its successor is saved before any caller sees
/// it. A keeper that finds a pending regenerate (its answer was lost, or the process died) presents the same key again
/// only while the service's grace lasts, and gets the same successor; after that it gives the session up
/// (<see cref="SessionEndedReason.RotationLost"/>) rather than present a key that would revoke it.</para>
/// </remarks>
public sealed partial class SessionKeeper
{
    public const string DefaultName = "default";

    // The service's answer to a token whose family no longer lives (API.md §3).
    private const int InvalidToken = 1596;

    private readonly ClientContext _context;
    private readonly Lock _gate = new();
    private StoredSession? _current;
    private SharedDeviceKey? _deviceKey;
    private Task<StoredSession>? _refresh;
    private DateTimeOffset _noRefreshAheadUntil;
    private SessionEndedReason? _ended;

    internal SessionKeeper(ClientContext context, string name, StoredSession? current)
    {
        _context = context;
        Name = name;
        _current = current;
    }

    /// <summary>The name the session is kept under in the store.</summary>
    public string Name { get; }

    /// <summary>Who the session is for, once it is known (after login, or after the first read of the store).</summary>
    public DeviceIdentity? Identity => _current?.Identity;

    /// <summary>Whether the session's keys are bound to this device's key (API.md §4.7).</summary>
    public bool IsDeviceBound => _current?.DeviceKeyHandle is not null;

    /// <summary>Raised once when the session ends, with the reason; the store no longer holds it.</summary>
    public event EventHandler<SessionEndedEventArgs>? SessionEnded;

    /// <summary>
    /// Raised on a thread-pool thread when a new token is stored and handed out (a regenerate here, or one another process
    /// sharing the store made): where the app renews what holds a token for long, such as a live connection, with
    /// <see cref="GetTokenAsync"/>.
    /// </summary>
    public event EventHandler<TokenRefreshedEventArgs>? TokenRefreshed;

    /// <summary>
    /// A USER token valid for at least <see cref="SessionsClientOptions.RefreshBeforeExpiry"/>. Within
    /// <see cref="SessionsClientOptions.RefreshAheadBeforeExpiry"/> of its end, the token is handed out at once and the
    /// next one fetched meanwhile, so that callers seldom wait for a regenerate.
    /// </summary>
    /// <exception cref="SessionEndedException">The session ended; the app shows its login screen.</exception>
    /// <exception cref="SessionsUnavailableException">The service could not be reached; the session is kept, try again later.</exception>
    public ValueTask<string> GetTokenAsync(CancellationToken cancellationToken = default) => TokenAsync(refreshAhead: true, cancellationToken);

    private async ValueTask<string> TokenAsync(bool refreshAhead, CancellationToken cancellationToken)
    {
        var current = _current ?? await LoadAsync(cancellationToken).ConfigureAwait(false);
        if (current.Pending is null && IsFresh(current))
        {
            if (refreshAhead && IsDueAhead(current))
            {
                RefreshAhead(current.Token);
            }
            return current.Token;
        }
        return (await SharedRefreshAsync(current.Token, RefreshNeed.Expiring).WaitAsync(cancellationToken).ConfigureAwait(false)).Token;
    }

    /// <summary>
    /// The token for one of the keeper's own account calls (a logout, a password or identifier change, the signed-in
    /// devices): after any regenerate under way, which could otherwise end the session the call is about to act on or
    /// learn of its end first, and starting none ahead.
    /// </summary>
    private async ValueTask<string> AccountCallTokenAsync(CancellationToken cancellationToken)
    {
        if (_refresh is { IsCompleted: false } underWay)
        {
            // Its failure is its own callers'; this call learns what it left from the store and the service. Bounded as
            // the store's lock is: a SessionEnded handler that calls in here runs inside that regenerate.
            await ((Task)underWay).WaitAsync(_context.Options.StoreLockTimeout, _context.Time, cancellationToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            cancellationToken.ThrowIfCancellationRequested();
        }
        return await TokenAsync(refreshAhead: false, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// A new token now, unless the one the caller holds (<paramref name="staleToken"/>) was already replaced: what a
    /// caller does when a resource server refused a token that looked valid.
    /// </summary>
    public async ValueTask<string> RefreshAsync(string staleToken, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(staleToken);
        if (_current is { Pending: null } current && current.Token != staleToken && IsFresh(current))
        {
            return current.Token;
        }
        return (await SharedRefreshAsync(staleToken, RefreshNeed.Refused).WaitAsync(cancellationToken).ConfigureAwait(false)).Token;
    }

    /// <summary>
    /// Authorises a request to a resource server with the current token: <c>Bearer</c>, or for a bound session
    /// <c>DPoP</c> with a proof for this request (RFC 9449 §7). Returns the token used.
    /// </summary>
    public async ValueTask<string> AuthorizeAsync(HttpRequestMessage request, string? resourceNonce = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        var token = await GetTokenAsync(cancellationToken).ConfigureAwait(false);
        using var deviceKey = _current is { } current ? await UseDeviceKeyAsync(current, cancellationToken).ConfigureAwait(false) : null;
        request.Headers.Remove(SessionsTransport.DeviceProofHeader);
        if (deviceKey is null)
        {
            request.Headers.Authorization = new("Bearer", token);
            return token;
        }
        request.Headers.Authorization = new("DPoP", token);
        request.Headers.TryAddWithoutValidation(SessionsTransport.DeviceProofHeader, await DeviceProofs.CreateAsync(
            deviceKey.Key, request.Method, request.RequestUri!, _context.ServerNow, resourceNonce, token, cancellationToken).ConfigureAwait(false));
        return token;
    }

    /// <summary>
    /// Logs the customer out on this device: the session's family is revoked at the service (an MFA family by
    /// <c>mfa/token/expire</c>, a primary or web family by <c>user/sessions/revoke</c>), so its key never regenerates
    /// again; the session is removed from the store whatever the service answers. True when the service revoked it.
    /// </summary>
    public async Task<bool> LogOutAsync(CancellationToken cancellationToken = default)
    {
        var revoked = false;
        try
        {
            var current = _current ?? await LoadAsync(cancellationToken).ConfigureAwait(false);
            var token = await AccountCallTokenAsync(cancellationToken).ConfigureAwait(false);
            var answer = current.Flow == SessionFlow.Mfa
                ? await PostTokenAsync("mfa/token/expire", token, familyId: null, cancellationToken).ConfigureAwait(false)
                : await PostTokenAsync("user/sessions/revoke", token, TokenClaims.Read(token).FamilyId, cancellationToken).ConfigureAwait(false);
            revoked = answer.Succeeded;
        }
        catch (Exception e) when (e is SessionEndedException or SessionsUnavailableException)
        {
            Log.LogoutNotConfirmed(_context.Logger, Name, e.Message);
        }
        await using (await _context.Store.LockAsync(Name, _context.Options.StoreLockTimeout, cancellationToken).ConfigureAwait(false))
        {
            await ForgetAsync(SessionEndedReason.LoggedOut).ConfigureAwait(false);
        }
        return revoked;
    }

    /// <summary>
    /// Changes the customer's password (<paramref name="secondFactor"/>: the MFA password). The service revokes the
    /// customer's sessions on other devices; this one continues.
    /// </summary>
    /// <exception cref="SessionEndedException">The session ended, signed out from another device for one: the app shows its login screen.</exception>
    public async Task ChangePasswordAsync(string currentPassword, string newPassword, bool secondFactor = false, CancellationToken cancellationToken = default)
    {
        var token = await AccountCallTokenAsync(cancellationToken).ConfigureAwait(false);
        var current = _current!;
        var path = secondFactor ? "mfa/password/change" : current.Flow == SessionFlow.Web ? "web/password/change" : "password/change";
        var answer = await PostAuthorizedAsync(path, token, json =>
        {
            json.WriteString("password", currentPassword);
            json.WriteString("newPassword", newPassword);
            json.WriteString("confirmPassword", newPassword);
        }, cancellationToken).ConfigureAwait(false);
        await EnsureAccountCallSucceededAsync(answer, token).ConfigureAwait(false);
    }

    /// <summary>
    /// Moves the customer to a new phone number or e-mail address (API.md §4.4). Called without <paramref name="otp"/>,
    /// the service sends a code to the new value (<see cref="IdentifierChange.CodeSent"/>); called again with that code, it
    /// moves the customer, whose sessions under the old value all end (<see cref="SessionEndedReason.IdentifierChanged"/>):
    /// the app logs in again with the new value.
    /// </summary>
    /// <exception cref="RecentLoginRequiredException">
    /// The brand lets only a recent login start a change (<c>IdentifierChange:RequireRecentLogin</c>): the customer logs in
    /// again first, then repeats the call.
    /// </exception>
    /// <exception cref="SessionEndedException">The session ended, signed out from another device for one: the app shows its login screen.</exception>
    public async Task<IdentifierChange> ChangeIdentifierAsync(string newIdentifierValue, string? otp = null, CancellationToken cancellationToken = default)
    {
        var token = await AccountCallTokenAsync(cancellationToken).ConfigureAwait(false);
        var answer = await PostAuthorizedAsync("user/updateIdentifierValue", token, json =>
        {
            json.WriteString("newIdentifierValue", newIdentifierValue);
            if (otp is not null)
            {
                json.WriteString("otp", otp);
            }
        }, cancellationToken).ConfigureAwait(false);
        await EnsureAccountCallSucceededAsync(answer, token).ConfigureAwait(false);
        if (otp is null && answer.Envelope.Status.Message.StartsWith("OTP sent", StringComparison.Ordinal))
        {
            return IdentifierChange.CodeSent;
        }
        await using (await _context.Store.LockAsync(Name, _context.Options.StoreLockTimeout, cancellationToken).ConfigureAwait(false))
        {
            await ForgetAsync(SessionEndedReason.IdentifierChanged).ConfigureAwait(false);
        }
        return IdentifierChange.Changed;
    }

    /// <summary>
    /// An account call authorised by this session's USER <paramref name="token"/>: for a bound session, with a proof by the
    /// device key that names the token (RFC 9449 §7), which a brand that sets <c>RequireProofForBoundTokens</c> asks for
    /// and any other ignores. The answer as it came.
    /// </summary>
    private async Task<ApiAnswer> PostAuthorizedAsync(string path, string token, Action<Utf8JsonWriter> fields, CancellationToken cancellationToken)
    {
        var current = _current!;
        using var deviceKey = await UseDeviceKeyAsync(current, cancellationToken).ConfigureAwait(false);
        return await ProofCalls.PostAsync(_context, path, current.Identity, json =>
        {
            json.WriteString("token", token);
            fields(json);
        }, deviceKey?.Key, token, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// An account call's answer when it succeeded. A <c>1596</c> to this session's own fresh token says its family no
    /// longer lives (signed out from another device, by support, by a password change elsewhere): the session ends as
    /// after a regenerate's <c>1597</c>, unless the store holds a newer login by now, which is not this call's to end.
    /// </summary>
    private async Task<ApiAnswer> EnsureAccountCallSucceededAsync(ApiAnswer answer, string token)
    {
        if (answer.Code == InvalidToken)
        {
            await using (await _context.Store.LockAsync(Name, _context.Options.StoreLockTimeout, CancellationToken.None).ConfigureAwait(false))
            {
                var stored = await ReadStoreAsync().ConfigureAwait(false);
                if (TokenClaims.Read(stored.Token).FamilyId == TokenClaims.Read(token).FamilyId)
                {
                    await EndAsync(SessionEndedReason.KeyInvalid).ConfigureAwait(false);
                }
            }
        }
        return answer.EnsureSuccess();
    }

    internal void ReleaseDeviceKey()
    {
        SharedDeviceKey? previous;
        lock (_gate)
        {
            previous = SwapDeviceKey(null);
        }
        previous?.Retire();
    }

    /// <summary>Takes over a session a login just stored, with the device key the login bound it to.</summary>
    internal void Adopt(StoredSession session, IDeviceKey? deviceKey)
    {
        SharedDeviceKey? previous;
        lock (_gate)
        {
            _current = session;
            _ended = null;
            previous = SwapDeviceKey(deviceKey is null ? null : new SharedDeviceKey(deviceKey));
        }
        previous?.Retire();
    }

    /// <summary>
    /// Puts <paramref name="next"/> in place of the key callers sign with, under the gate, and returns the one it
    /// replaced, which the caller retires once out of the gate (its disposal is the platform's code).
    /// </summary>
    private SharedDeviceKey? SwapDeviceKey(SharedDeviceKey? next)
    {
        (var previous, _deviceKey) = (_deviceKey, next);
        return previous;
    }

    private async Task<StoredSession> EndAsync(SessionEndedReason reason)
    {
        await ForgetAsync(reason).ConfigureAwait(false);
        throw new SessionEndedException(reason);
    }

    /// <summary>Removes the session from the store (the caller holds the store's lock) and tells the app why.</summary>
    private async Task ForgetAsync(SessionEndedReason reason)
    {
        // A logout or change that finds the session ended on its way (by a regenerate, say) clears the store again, but
        // the app was told once, with the reason it ended.
        var toldAlready = _current is null && _ended is not null;
        var handle = _current?.DeviceKeyHandle;
        await _context.Store.DeleteAsync(Name, CancellationToken.None).ConfigureAwait(false);
        if (handle is not null)
        {
            await _context.DeviceKeys.DeleteAsync(Name, handle, CancellationToken.None).ConfigureAwait(false);
        }
        if (toldAlready)
        {
            return;
        }
        SharedDeviceKey? deviceKey;
        lock (_gate)
        {
            _current = null;
            _ended = reason;
            deviceKey = SwapDeviceKey(null);
        }
        deviceKey?.Retire();
        Log.SessionEnded(_context.Logger, Name, reason);
        _context.Telemetry.Ended(reason);
        try
        {
            SessionEnded?.Invoke(this, new SessionEndedEventArgs(Name, reason));
        }
        catch (Exception e)
        {
            Log.SessionEndedHandlerFailed(_context.Logger, e, Name);
        }
    }

    private async ValueTask<StoredSession> LoadAsync(CancellationToken cancellationToken)
    {
        var content = await _context.Store.LoadAsync(Name, cancellationToken).ConfigureAwait(false);
        if (content is null)
        {
            throw new SessionEndedException(_ended ?? SessionEndedReason.LoggedOut);
        }
        var stored = ClientContext.Deserialize(content) ?? throw new SessionEndedException(SessionEndedReason.StoreUnreadable);
        _current = stored;
        _context.ClockOffset = stored.ClockOffset;
        return stored;
    }

    /// <summary>The store's copy, under its lock; the end of the session when it is gone or unreadable.</summary>
    private async Task<StoredSession> ReadStoreAsync()
    {
        var content = await _context.Store.LoadAsync(Name, CancellationToken.None).ConfigureAwait(false);
        if (content is null)
        {
            // Logged out by another process sharing the store (which told its own app).
            var ended = _current is null ? _ended ?? SessionEndedReason.LoggedOut : SessionEndedReason.LoggedOut;
            if (_current is not null)
            {
                await ForgetAsync(ended).ConfigureAwait(false);
            }
            throw new SessionEndedException(ended);
        }
        return ClientContext.Deserialize(content) ?? await EndAsync(SessionEndedReason.StoreUnreadable).ConfigureAwait(false);
    }

    private async ValueTask SaveAsync(StoredSession session) =>
        await _context.Store.SaveAsync(Name, ClientContext.Serialize(session), CancellationToken.None).ConfigureAwait(false);

    /// <summary>
    /// A use of the session's device key (opened from the platform's key store on first use), which keeps it undisposed
    /// until the caller is done signing; null for a session that is not bound, or whose key is gone.
    /// </summary>
    private async ValueTask<SharedDeviceKey.Use?> UseDeviceKeyAsync(StoredSession session, CancellationToken cancellationToken)
    {
        if (session.DeviceKeyHandle is not { } handle)
        {
            return null;
        }
        lock (_gate)
        {
            if (KnownDeviceKey(handle) is { } known)
            {
                return known;
            }
        }
        var opened = await _context.DeviceKeys.OpenAsync(Name, handle, cancellationToken).ConfigureAwait(false);
        if (opened is null)
        {
            return null;
        }
        SharedDeviceKey.Use? raced;
        SharedDeviceKey? replaced = null;
        SharedDeviceKey.Use? use = null;
        lock (_gate)
        {
            // Concurrent callers may have opened the same key: the first one kept stays, as a caller may be signing with it.
            raced = KnownDeviceKey(handle);
            if (raced is null)
            {
                var shared = new SharedDeviceKey(opened);
                use = shared.TryUse();
                replaced = SwapDeviceKey(shared);
            }
        }
        if (raced is not null)
        {
            opened.Dispose();
            return raced;
        }
        replaced?.Retire();
        return use;
    }

    /// <summary>A use of the key already open for <paramref name="handle"/>, under the gate.</summary>
    private SharedDeviceKey.Use? KnownDeviceKey(string handle) =>
        _deviceKey is { } known && known.Handle == handle ? known.TryUse() : null;

    private bool IsFresh(StoredSession session) => _context.ServerNow + _context.Options.RefreshBeforeExpiry < session.TokenExpiresAt;

    /// <summary>
    /// Whether the token is in its last <see cref="SessionsClientOptions.RefreshAheadBeforeExpiry"/>, but never more than its
    /// last quarter: a brand's short-lived web tokens would otherwise be replaced as soon as they arrive.
    /// </summary>
    private bool IsDueAhead(StoredSession session)
    {
        if (session.TokenIssuedAt is not { } issuedAt)
        {
            return false;
        }
        var window = TimeSpan.FromTicks(Math.Min(_context.Options.RefreshAheadBeforeExpiry.Ticks, (session.TokenExpiresAt - issuedAt).Ticks / 4));
        return _context.ServerNow + window >= session.TokenExpiresAt;
    }

    private static partial class Log
    {
        [LoggerMessage(1, LogLevel.Information, "Session {SessionName} regenerated its token")]
        public static partial void Regenerated(ILogger logger, string sessionName);

        [LoggerMessage(2, LogLevel.Warning, "Session {SessionName}: regenerate failed ({Failure}); retrying within the grace")]
        public static partial void RegenerateRetrying(ILogger logger, string sessionName, string failure);

        [LoggerMessage(3, LogLevel.Warning, "Session {SessionName} ended: {Reason}")]
        public static partial void SessionEnded(ILogger logger, string sessionName, SessionEndedReason reason);

        [LoggerMessage(4, LogLevel.Error, "Session {SessionName}: a SessionEnded handler threw")]
        public static partial void SessionEndedHandlerFailed(ILogger logger, Exception exception, string sessionName);

        [LoggerMessage(5, LogLevel.Warning, "Session {SessionName}: the service did not confirm the logout ({Failure}); the session is forgotten here")]
        public static partial void LogoutNotConfirmed(ILogger logger, string sessionName, string failure);

        [LoggerMessage(6, LogLevel.Warning, "Session {SessionName}: the regenerate ahead of expiry failed; callers keep the current token, and one near its end tries again")]
        public static partial void RefreshAheadFailed(ILogger logger, Exception exception, string sessionName);

        [LoggerMessage(7, LogLevel.Error, "Session {SessionName}: a TokenRefreshed handler threw")]
        public static partial void TokenRefreshedHandlerFailed(ILogger logger, Exception exception, string sessionName);
    }
}

/// <summary>Where an identifier change stands.</summary>
public enum IdentifierChange
{
    /// <summary>A code went to the new value; call again with it.</summary>
    CodeSent,

    /// <summary>The customer now logs in with the new value; every session under the old one ended.</summary>
    Changed,
}
