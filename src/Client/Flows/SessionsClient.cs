using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Sessions.Client.DeviceKeys;
using Sessions.Client.Keeping;
using Sessions.Client.Storage;
using Sessions.Client.Transport;

namespace Sessions.Client;

/// <summary>
/// The Sessions service as an app uses it: log a customer in (<see cref="StartLoginAsync"/>,
/// <see cref="StartWebLoginAsync"/>), then keep the session (<see cref="GetSession"/>) that hands out tokens.
/// </summary>
/// <example>
/// <code>
/// var login = await sessions.StartLoginAsync(DeviceIdentity.Mobile("+1 876 743 1754", deviceId));
/// var signIn = await login.VerifyOtpAsync(codeTheCustomerTyped);
/// var token = await signIn.Session!.GetTokenAsync();
/// </code>
/// </example>
public sealed class SessionsClient : IAsyncDisposable
{
    private readonly ConcurrentDictionary<string, SessionKeeper> _keepers = new(StringComparer.Ordinal);

    /// <summary>A client over <paramref name="httpClient"/> (which it does not dispose), for apps without dependency injection.</summary>
    /// <param name="httpClient">The client the service is called with.</param>
    /// <param name="options">Where the service is and which brand the app is; checked here.</param>
    /// <param name="store">Where sessions are kept; by default files in <see cref="SessionsClientOptions.StoreDirectory"/>.</param>
    /// <param name="deviceKeys">Where device keys are made; by default <see cref="SoftwareDeviceKeys"/>.</param>
    /// <param name="timeProvider">The device's clock (corrected by the server's <c>Date</c>); by default the system's.</param>
    /// <param name="loggerFactory">Where the keeper logs rotations and retries (never a key or token).</param>
    /// <param name="meterFactory">
    /// Where the <c>Sessions.Client</c> meter is made (the host's, under dependency injection); by default a meter of
    /// this client's own, which it disposes.
    /// </param>
    public SessionsClient(HttpClient httpClient, SessionsClientOptions options, ISessionStore? store = null, IDeviceKeyProvider? deviceKeys = null,
        TimeProvider? timeProvider = null, ILoggerFactory? loggerFactory = null, IMeterFactory? meterFactory = null)
        : this(() => httpClient, options, store, deviceKeys, timeProvider, loggerFactory, meterFactory)
    {
        ArgumentNullException.ThrowIfNull(httpClient);
    }

    internal SessionsClient(Func<HttpClient> httpClient, SessionsClientOptions options, ISessionStore? store, IDeviceKeyProvider? deviceKeys,
        TimeProvider? timeProvider, ILoggerFactory? loggerFactory, IMeterFactory? meterFactory)
    {
        SessionsClientOptionsValidator.Checked(options);
        Context = new ClientContext(
            new SessionsTransport(httpClient, options),
            store ?? new FileSessionStore(options.StoreDirectory ?? FileSessionStore.DefaultDirectory),
            deviceKeys ?? new SoftwareDeviceKeys(),
            timeProvider ?? TimeProvider.System,
            (loggerFactory ?? NullLoggerFactory.Instance).CreateLogger("Sessions.Client"),
            new ClientTelemetry(meterFactory));
    }

    internal ClientContext Context { get; }

    /// <summary>
    /// Opens a login for <paramref name="who"/> on this device (<c>token/generate</c>) and, unless told not to, sends
    /// the one-time code. <paramref name="newPassword"/> sets a first-time customer's password, which takes effect
    /// when the code is verified.
    /// </summary>
    public Task<LoginAttempt> StartLoginAsync(DeviceIdentity who, bool sendOtp = true, string? newPassword = null, string sessionName = SessionKeeper.DefaultName,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(who);
        if (who.DeviceId is null)
        {
            throw new ArgumentException("An app login needs the device id; a browser logs in with StartWebLoginAsync.", nameof(who));
        }
        return OpenAsync("token/generate", LoginStep.FirstFactor, who, sendOtp, newPassword, sessionName, cancellationToken);
    }

    /// <summary>The same for a browser or another client without a key store (<c>web/…</c>, API.md §4.4); the device id is optional.</summary>
    public Task<LoginAttempt> StartWebLoginAsync(DeviceIdentity who, bool sendOtp = true, string? newPassword = null, string sessionName = SessionKeeper.DefaultName,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(who);
        return OpenAsync("web/token/generate", LoginStep.WebFirstFactor, who, sendOtp, newPassword, sessionName, cancellationToken);
    }

    /// <summary>
    /// The keeper of the session stored under <paramref name="sessionName"/>: the same instance for every caller of this
    /// client, so that they share its single regenerate. Its <see cref="SessionKeeper.GetTokenAsync"/> throws
    /// <see cref="SessionEndedException"/> when there is no session.
    /// </summary>
    public SessionKeeper GetSession(string sessionName = SessionKeeper.DefaultName) =>
        _keepers.GetOrAdd(SessionNames.Checked(sessionName), name => new SessionKeeper(Context, name, null));

    /// <summary>Whether the store holds a session under <paramref name="sessionName"/> (the app's start-up: login screen or not).</summary>
    public async Task<bool> HasSessionAsync(string sessionName = SessionKeeper.DefaultName, CancellationToken cancellationToken = default) =>
        await Context.Store.LoadAsync(SessionNames.Checked(sessionName), cancellationToken).ConfigureAwait(false) is not null;

    /// <summary>Lets go of the device keys the keepers opened, and of its own meter; the stored sessions stay for the next start.</summary>
    public ValueTask DisposeAsync()
    {
        foreach (var keeper in _keepers.Values)
        {
            keeper.ReleaseDeviceKey();
        }
        _keepers.Clear();
        Context.Telemetry.Dispose();
        return ValueTask.CompletedTask;
    }

    private async Task<LoginAttempt> OpenAsync(string path, LoginStep step, DeviceIdentity who, bool sendOtp, string? newPassword, string sessionName,
        CancellationToken cancellationToken)
    {
        SessionNames.Checked(sessionName);
        var opened = (await Context.PostAsync(path, who, json =>
        {
            if (newPassword is not null)
            {
                json.WriteString("password", newPassword);
                json.WriteString("confirmPassword", newPassword);
            }
        }, null, cancellationToken).ConfigureAwait(false)).EnsureSuccess();
        var attempt = new LoginAttempt(this, step, who, sessionName, opened.Envelope, webFamily: step == LoginStep.WebFirstFactor);
        if (sendOtp)
        {
            await attempt.SendOtpAsync(cancellationToken).ConfigureAwait(false);
        }
        return attempt;
    }

    /// <summary>A factor was accepted: stores the new session (when there is one to keep) before handing it out.</summary>
    internal async Task<SignInResult> CompleteAsync(LoginAttempt attempt, ApiAnswer answer, bool webFamily, IDeviceKey? deviceKey, CancellationToken cancellationToken)
    {
        var token = answer.Envelope.Auth?.Token ?? throw new SessionsUnavailableException("The service accepted the factor but answered no token.");
        var role = answer.Envelope.User?.Role ?? "USER";
        var key = answer.Envelope.Auth?.Key;
        // An MFA validate in a browser (no device id, or after a web first factor) starts a web family: no key (API.md §4.4).
        var flow = webFamily || (attempt.Step == LoginStep.SecondFactor && attempt.Identity.DeviceId is null) ? SessionFlow.Web
            : attempt.Step == LoginStep.SecondFactor ? SessionFlow.Mfa : SessionFlow.Primary;
        if (role == "MFA_PENDING" || (flow != SessionFlow.Web && key is null))
        {
            deviceKey?.Dispose();
            return new SignInResult(this, attempt.Identity, role, token, null, attempt.SessionName, webFamily);
        }

        var claims = TokenClaims.Read(token);
        // Bound only if the service bound it (a brand with DeviceBinding Off ignores the proof).
        if (deviceKey is not null && claims.DeviceKeyThumbprint != DeviceProofs.Thumbprint(deviceKey))
        {
            await Context.DeviceKeys.DeleteAsync(attempt.SessionName, deviceKey.Handle, cancellationToken).ConfigureAwait(false);
            deviceKey.Dispose();
            deviceKey = null;
        }
        var session = new StoredSession
        {
            Brand = Context.Options.Brand,
            IdentifierType = attempt.Identity.IdentifierType,
            IdentifierValue = attempt.Identity.IdentifierValue,
            DeviceId = attempt.Identity.DeviceId,
            Flow = flow,
            Key = flow == SessionFlow.Web ? token : key!,
            Token = token,
            TokenExpiresAt = claims.ExpiresAt ?? Context.ServerNow,
            TokenIssuedAt = claims.IssuedAt,
            ClockOffset = Context.ClockOffset,
            DeviceKeyHandle = deviceKey?.Handle,
        };
        var keeper = GetSession(attempt.SessionName);
        await using (await Context.Store.LockAsync(attempt.SessionName, Context.Options.StoreLockTimeout, cancellationToken).ConfigureAwait(false))
        {
            await Context.Store.SaveAsync(attempt.SessionName, ClientContext.Serialize(session), CancellationToken.None).ConfigureAwait(false);
            keeper.Adopt(session, deviceKey);
        }
        return new SignInResult(this, attempt.Identity, role, token, keeper, attempt.SessionName, webFamily);
    }
}
