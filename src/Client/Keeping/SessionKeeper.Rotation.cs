using System.Diagnostics;
using System.Net;
using Sessions.Client.Keeping;
using Sessions.Client.Transport;

namespace Sessions.Client;

/// <summary>
/// The regenerate: one at a time per keeper and, through the store's lock, per store; the pending rotation written
/// before it is sent, the same key presented again only within the grace, the successor saved before it is handed out.
/// </summary>
public sealed partial class SessionKeeper
{
    private static readonly TimeSpan FirstRetry = TimeSpan.FromTicks(1);
    private static readonly TimeSpan FirstBackoff = TimeSpan.FromMilliseconds(250);
    private static readonly TimeSpan MaxRetryDelay = TimeSpan.FromSeconds(4);

    // How long after a failed regenerate ahead of expiry callers use their token without starting another.
    private static readonly TimeSpan RefreshAheadPause = TimeSpan.FromSeconds(15);

    // A device proof the service could not accept (a jti it saw, API.md §4.7): the key is untouched.
    private const int ProofRefused = 1560;

    /// <summary>Why a regenerate is wanted, which decides whether the session as the store holds it still does.</summary>
    private enum RefreshNeed
    {
        /// <summary>The token is about to expire, or a regenerate is pending.</summary>
        Expiring,

        /// <summary>A resource server refused the caller's token: a new one, unless it was replaced meanwhile.</summary>
        Refused,

        /// <summary>The token is fresh, but near enough its end that the next one is fetched now, out of the callers' way.</summary>
        Ahead,
    }

    private Task<StoredSession> SharedRefreshAsync(string staleToken, RefreshNeed need)
    {
        lock (_gate)
        {
            if (_refresh is { IsCompleted: false })
            {
                _context.Telemetry.Joined();
                return _refresh;
            }
            return StartRefresh(staleToken, need);
        }
    }

    /// <summary>
    /// Starts the next regenerate while the caller goes on with the token it has, which is still fresh: unless one is
    /// under way, or one ahead of expiry failed a moment ago (an offline phone would otherwise try on every call).
    /// </summary>
    private void RefreshAhead(string token)
    {
        lock (_gate)
        {
            if (_refresh is { IsCompleted: false } || _context.Time.GetUtcNow() < _noRefreshAheadUntil)
            {
                return;
            }
            StartRefresh(token, RefreshNeed.Ahead);
        }
    }

    /// <summary>Under the gate: the regenerate every caller joins until it ends.</summary>
    private Task<StoredSession> StartRefresh(string staleToken, RefreshNeed need)
    {
        // Not the caller's token: a caller that gives up must not abandon a regenerate the others wait for.
        _refresh = Task.Run(() => need == RefreshNeed.Ahead ? RefreshAheadAsync(staleToken) : RefreshUnderStoreLockAsync(staleToken, need),
            CancellationToken.None);
        // Once it ended and let the store's lock go, so that a TokenRefreshed handler may ask for the token at once.
        _refresh.ContinueWith(ended => RefreshEnded(ended, staleToken), CancellationToken.None, TaskContinuationOptions.None, TaskScheduler.Default);
        return _refresh;
    }

    private void RefreshEnded(Task<StoredSession> refresh, string staleToken)
    {
        if (!refresh.IsCompletedSuccessfully)
        {
            // Its callers were told, if any waited: one ahead of expiry, or whose callers gave up, has none.
            _ = refresh.Exception;
            return;
        }
        if (refresh.Result.Token == staleToken)
        {
            return;
        }
        try
        {
            TokenRefreshed?.Invoke(this, new TokenRefreshedEventArgs(Name, refresh.Result.TokenExpiresAt));
        }
        catch (Exception e)
        {
            Log.TokenRefreshedHandlerFailed(_context.Logger, e, Name);
        }
    }

    private async Task<StoredSession> RefreshAheadAsync(string token)
    {
        try
        {
            return await RefreshUnderStoreLockAsync(token, RefreshNeed.Ahead).ConfigureAwait(false);
        }
        catch (Exception e) when (e is not SessionEndedException)
        {
            // Set before the regenerate ends, so no caller that sees it ended starts another at once.
            lock (_gate)
            {
                _noRefreshAheadUntil = _context.Time.GetUtcNow() + RefreshAheadPause;
            }
            Log.RefreshAheadFailed(_context.Logger, e, Name);
            throw;
        }
    }

    private async Task<StoredSession> RefreshUnderStoreLockAsync(string staleToken, RefreshNeed need)
    {
        await using (await _context.Store.LockAsync(Name, _context.Options.StoreLockTimeout, CancellationToken.None).ConfigureAwait(false))
        {
            // Another process sharing the store may have rotated (or ended) the session since this one last looked.
            var stored = await ReadStoreAsync().ConfigureAwait(false);
            _current = stored;
            _context.ClockOffset = stored.ClockOffset;
            var stillServes = stored.Pending is null && need switch
            {
                RefreshNeed.Expiring => IsFresh(stored),
                RefreshNeed.Refused => IsFresh(stored) && stored.Token != staleToken,
                _ => !IsDueAhead(stored),
            };
            return stillServes ? stored : await RotateAsync(stored).ConfigureAwait(false);
        }
    }

    /// <summary>The regenerate itself, under the store's lock, traced and counted by how it ended.</summary>
    private async Task<StoredSession> RotateAsync(StoredSession stored)
    {
        using var activity = _context.Telemetry.StartRegenerate(stored.Flow);
        var started = _context.Time.GetTimestamp();
        try
        {
            var successor = await PresentKeyAsync(stored, activity).ConfigureAwait(false);
            _context.Telemetry.Regenerated(activity, stored.Flow, RegenerateOutcome.Success, _context.Time.GetElapsedTime(started),
                keyRotated: successor.Key != stored.Key);
            return successor;
        }
        catch (Exception e)
        {
            var (outcome, reason) = e switch
            {
                SessionEndedException ended => (RegenerateOutcome.Ended, ended.Reason),
                SessionsApiException => (RegenerateOutcome.Refused, (SessionEndedReason?)null),
                SessionsUnavailableException => (RegenerateOutcome.Unavailable, null),
                _ => (RegenerateOutcome.Failed, null),
            };
            _context.Telemetry.Regenerated(activity, stored.Flow, outcome, _context.Time.GetElapsedTime(started), reason: reason);
            throw;
        }
    }

    /// <summary>Presents the key until the service's answer decides, or the grace is spent.</summary>
    private async Task<StoredSession> PresentKeyAsync(StoredSession stored, Activity? activity)
    {
        // Whether an earlier attempt with this key may have reached the service and rotated it: a pending rotation
        // found in the store, or an attempt whose answer was lost, makes it so.
        var outcomeUnknown = stored.Pending is not null;
        var pending = stored.Pending ?? new PendingRotation(stored.Key, _context.ServerNow);
        var deadline = pending.SentAt + _context.Options.ReuseGrace - _context.Options.GraceSafetyMargin;
        if (stored.Pending is null)
        {
            stored = stored with { Pending = pending };
            await SaveAsync(stored).ConfigureAwait(false);
        }
        using var deviceKey = await UseDeviceKeyAsync(stored, CancellationToken.None).ConfigureAwait(false);
        if (stored.DeviceKeyHandle is not null && deviceKey is null)
        {
            return await EndAsync(SessionEndedReason.DeviceProofRequired).ConfigureAwait(false);
        }

        var (path, field) = stored.Flow switch
        {
            SessionFlow.Primary => ("token/regenerate", "key"),
            SessionFlow.Mfa => ("mfa/token/regenerate", "key"),
            _ => ("web/token/regenerate", "expiredToken"),
        };
        var delay = TimeSpan.Zero;
        var freshProofTried = false;
        while (true)
        {
            if (_context.ServerNow >= deadline)
            {
                return outcomeUnknown ? await EndAsync(SessionEndedReason.RotationLost).ConfigureAwait(false) : await GiveUpForNowAsync(stored, null).ConfigureAwait(false);
            }
            ApiAnswer answer;
            var replay = outcomeUnknown;
            try
            {
                answer = await ProofCalls.PostAsync(_context, path, stored.Identity, json => json.WriteString(field, pending.Key), deviceKey?.Key, accessToken: null, CancellationToken.None).ConfigureAwait(false);
            }
            catch (SessionsUnavailableException e)
            {
                _context.Telemetry.Attempted(activity, stored.Flow, AttemptResult.Unreachable, replay);
                outcomeUnknown |= !e.CertainlyNotSent;
                Log.RegenerateRetrying(_context.Logger, Name, e.Message);
                delay = await PauseAsync(delay, null, deadline).ConfigureAwait(false);
                if (delay < TimeSpan.Zero)
                {
                    return outcomeUnknown ? await EndAsync(SessionEndedReason.RotationLost).ConfigureAwait(false) : await GiveUpForNowAsync(stored, e).ConfigureAwait(false);
                }
                continue;
            }

            var result = answer.Code == ProofRefused && !freshProofTried ? AttemptResult.ProofRefused
                : !answer.Succeeded && answer.IsTransient ? AttemptResult.Unavailable
                : AttemptResult.Answered;
            _context.Telemetry.Attempted(activity, stored.Flow, result, replay);
            if (answer.Succeeded)
            {
                return await AcceptAsync(stored, answer, pending).ConfigureAwait(false);
            }
            switch (answer.Code)
            {
                case 1525:
                    return await EndAsync(SessionEndedReason.Revoked).ConfigureAwait(false);
                case 1596 or 1597 or 1507 or 1508 or 1509:
                    return await EndAsync(SessionEndedReason.KeyInvalid).ConfigureAwait(false);
                case 1561:
                    return await EndAsync(SessionEndedReason.DeviceKeyMismatch).ConfigureAwait(false);
                case 1562:
                    return await EndAsync(SessionEndedReason.DeviceProofRequired).ConfigureAwait(false);
                case ProofRefused when !freshProofTried:
                    // A proof the service could not accept (e.g. a jti it saw): the key is untouched, a fresh proof may pass.
                    freshProofTried = true;
                    continue;
            }
            if (!answer.IsTransient)
            {
                return await GiveUpForNowAsync(stored, new SessionsApiException(answer.Code, answer.Envelope.Status.Message, answer.Status)).ConfigureAwait(false);
            }
            // 1599, 429 and 408 say nothing was done; any other 5xx may have come after the rotation.
            outcomeUnknown |= !answer.NothingDone;
            Log.RegenerateRetrying(_context.Logger, Name, $"{(int)answer.Status} {answer.Code}");
            delay = await PauseAsync(delay, answer.RetryAfter, deadline).ConfigureAwait(false);
            if (delay < TimeSpan.Zero)
            {
                return outcomeUnknown ? await EndAsync(SessionEndedReason.RotationLost).ConfigureAwait(false)
                    : await GiveUpForNowAsync(stored, new SessionsUnavailableException($"{answer.Envelope.Status.Message} ({answer.Code})")).ConfigureAwait(false);
            }
        }
    }

    /// <summary>Saves the successor, and only then hands it out.</summary>
    private async Task<StoredSession> AcceptAsync(StoredSession stored, ApiAnswer answer, PendingRotation pending)
    {
        var token = answer.Envelope.Auth?.Token ?? throw new SessionsUnavailableException("The service answered a regenerate without a token.");
        var claims = TokenClaims.Read(token);
        var successor = stored with
        {
            Token = token,
            TokenExpiresAt = claims.ExpiresAt ?? _context.ServerNow,
            TokenIssuedAt = claims.IssuedAt,
            // Without rotation (RotateKeyOnRegenerate=false) the key stays; the web flow's credential is the token.
            Key = stored.Flow == SessionFlow.Web ? token : answer.Envelope.Auth?.Key ?? pending.Key,
            Pending = null,
            ClockOffset = _context.ClockOffset,
        };
        await SaveAsync(successor).ConfigureAwait(false);
        _current = successor;
        Log.Regenerated(_context.Logger, Name);
        return successor;
    }

    /// <summary>
    /// The service was not reached, or refused for a reason that is not the session's end, and no attempt can have
    /// rotated the key: the session stays as it was, for a later call to try again.
    /// </summary>
    private async Task<StoredSession> GiveUpForNowAsync(StoredSession stored, Exception? why)
    {
        await SaveAsync(stored with { Pending = null }).ConfigureAwait(false);
        _current = stored with { Pending = null };
        throw why as SessionsApiException ?? (Exception)new SessionsUnavailableException(
            $"The session could not be refreshed: {why?.Message ?? "the service did not answer in time"}. It is kept; try again later.", why);
    }

    /// <summary>Waits before the next attempt; a negative result when the wait would pass the deadline.</summary>
    private async Task<TimeSpan> PauseAsync(TimeSpan previous, TimeSpan? retryAfter, DateTimeOffset deadline)
    {
        if (previous == TimeSpan.Zero && retryAfter is null)
        {
            // A lost answer is retried at once: the service answers the same successor.
            return FirstRetry;
        }
        var delay = TimeSpan.FromTicks(Math.Clamp(previous.Ticks * 2, FirstBackoff.Ticks, MaxRetryDelay.Ticks));
        if (retryAfter > delay)
        {
            delay = retryAfter.Value;
        }
        if (_context.ServerNow + delay >= deadline)
        {
            return TimeSpan.FromTicks(-1);
        }
        await Task.Delay(delay, _context.Time).ConfigureAwait(false);
        return delay;
    }
}
