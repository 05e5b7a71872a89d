using Sessions.Client.Transport;

namespace Sessions.Client;

/// <summary>The customer's signed-in devices (README, "Signed-in devices"): a "where you're logged in" screen.</summary>
public sealed partial class SessionKeeper
{
    /// <summary>Every device and browser the customer is signed in on, this one included (<see cref="SignedInSession.Current"/>).</summary>
    /// <exception cref="SessionEndedException">The session ended, signed out from another device for one: the app shows its login screen.</exception>
    public async Task<IReadOnlyList<SignedInDevice>> ListSignedInDevicesAsync(CancellationToken cancellationToken = default)
    {
        var answer = await PostWithTokenAsync("user/sessions", null, cancellationToken).ConfigureAwait(false);
        return answer.Envelope.Sessions ?? [];
    }

    /// <summary>
    /// Signs one session out, as the list gave it. Another device's needs a recent login; this keeper's own is a logout,
    /// and ends this session (<see cref="SessionEndedReason.LoggedOut"/>).
    /// </summary>
    /// <exception cref="RecentLoginRequiredException">The customer logs in again first, then repeats the call.</exception>
    /// <exception cref="SessionEndedException">The session ended, signed out from another device for one: the app shows its login screen.</exception>
    public async Task SignOutAsync(SignedInSession session, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(session);
        await PostWithTokenAsync("user/sessions/revoke", session.FamilyId, cancellationToken).ConfigureAwait(false);
        if (session.Current)
        {
            await using (await _context.Store.LockAsync(Name, _context.Options.StoreLockTimeout, cancellationToken).ConfigureAwait(false))
            {
                await ForgetAsync(SessionEndedReason.LoggedOut).ConfigureAwait(false);
            }
        }
    }

    /// <summary>
    /// Signs out every other device and browser of the customer; this login (and the login that authorised it) stays.
    /// The number of sessions ended.
    /// </summary>
    /// <exception cref="RecentLoginRequiredException">The customer logs in again first, then repeats the call.</exception>
    /// <exception cref="SessionEndedException">The session ended, signed out from another device for one: the app shows its login screen.</exception>
    public async Task<int> SignOutOtherDevicesAsync(CancellationToken cancellationToken = default)
    {
        var answer = await PostWithTokenAsync("user/sessions/revokeOthers", null, cancellationToken).ConfigureAwait(false);
        return answer.Envelope.Revoked ?? 0;
    }

    private async Task<ApiAnswer> PostWithTokenAsync(string path, string? familyId, CancellationToken cancellationToken)
    {
        var token = await AccountCallTokenAsync(cancellationToken).ConfigureAwait(false);
        var answer = await PostTokenAsync(path, token, familyId, cancellationToken).ConfigureAwait(false);
        return await EnsureAccountCallSucceededAsync(answer, token).ConfigureAwait(false);
    }

    /// <summary>A call authorised by this session's USER token, naming a family when it acts on one; the answer as it came.</summary>
    private Task<ApiAnswer> PostTokenAsync(string path, string token, string? familyId, CancellationToken cancellationToken) =>
        PostAuthorizedAsync(path, token, json =>
        {
            if (familyId is not null)
            {
                json.WriteString("familyId", familyId);
            }
        }, cancellationToken);
}
