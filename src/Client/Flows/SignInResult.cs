namespace Sessions.Client;

/// <summary>
/// A factor the service accepted: a <see cref="Session"/> to keep, or — when the brand or the customer needs a second
/// factor (<see cref="MfaRequired"/>) — the way on to it (<see cref="StartMfaAsync"/>).
/// </summary>
public sealed class SignInResult
{
    private readonly SessionsClient _client;
    private readonly string _sessionName;
    private readonly bool _web;

    internal SignInResult(SessionsClient client, DeviceIdentity identity, string role, string token, SessionKeeper? session, string sessionName, bool web)
    {
        _client = client;
        Identity = identity;
        Role = role;
        Token = token;
        Session = session;
        _sessionName = sessionName;
        _web = web;
    }

    public DeviceIdentity Identity { get; }

    /// <summary><c>USER</c>, or <c>MFA_PENDING</c> when the second factor is still due (API.md §4.3).</summary>
    public string Role { get; }

    public bool MfaRequired => Role == "MFA_PENDING";

    /// <summary>The token the factor was answered with.</summary>
    public string Token { get; }

    /// <summary>
    /// The kept session, already saved in the store: call <see cref="SessionKeeper.GetTokenAsync"/> whenever a token is
    /// needed. Null while <see cref="MfaRequired"/>, and when the brand issues no key for this factor.
    /// </summary>
    public SessionKeeper? Session { get; }

    /// <summary>
    /// Opens the second factor (<c>mfa/token/generate</c>) for <paramref name="secondFactor"/> (by default the same
    /// identifier; it must be on the same device) and, unless told not to, sends its code.
    /// </summary>
    public async Task<LoginAttempt> StartMfaAsync(DeviceIdentity? secondFactor = null, bool sendOtp = true, CancellationToken cancellationToken = default)
    {
        var identity = secondFactor ?? Identity;
        var opened = (await _client.Context.PostAsync("mfa/token/generate", identity, json => json.WriteString("authorizedToken", Token), null, cancellationToken)
            .ConfigureAwait(false)).EnsureSuccess();
        var attempt = new LoginAttempt(_client, LoginStep.SecondFactor, identity, _sessionName, opened.Envelope, _web);
        if (sendOtp)
        {
            await attempt.SendOtpAsync(cancellationToken).ConfigureAwait(false);
        }
        return attempt;
    }
}
