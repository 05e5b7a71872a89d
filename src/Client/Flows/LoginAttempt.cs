using System.Text.Json;
using Sessions.Client.DeviceKeys;
using Sessions.Client.Keeping;
using Sessions.Client.Transport;

namespace Sessions.Client;

/// <summary>Which login a <see cref="LoginAttempt"/> is.</summary>
public enum LoginStep
{
    /// <summary>The first factor in an app (<c>token/generate</c>).</summary>
    FirstFactor,

    /// <summary>The first factor in a browser (<c>web/token/generate</c>): the session's credential is the token itself.</summary>
    WebFirstFactor,

    /// <summary>The second factor (<c>mfa/token/generate</c>).</summary>
    SecondFactor,
}

/// <summary>
/// A login session the service opened (API.md §4): the screen after "enter your number" calls
/// <see cref="SendOtpAsync"/>, then <see cref="VerifyOtpAsync"/> or <see cref="VerifyPasswordAsync"/>.
/// </summary>
public sealed class LoginAttempt
{
    private readonly SessionsClient _client;
    private readonly bool _webFamily;

    internal LoginAttempt(SessionsClient client, LoginStep step, DeviceIdentity identity, string sessionName, Envelope opened, bool webFamily)
    {
        _client = client;
        Step = step;
        Identity = identity;
        SessionName = sessionName;
        SessionId = opened.User?.SessionId ?? throw new SessionsUnavailableException("The service opened a login session without an id.");
        AppRegistered = opened.User?.AppRegistered ?? false;
        HasPassword = opened.User?.UserRegisteredForPassword ?? false;
        _webFamily = webFamily;
    }

    public LoginStep Step { get; }

    public DeviceIdentity Identity { get; }

    /// <summary>The login session's id (<c>P-…</c>, valid 15 minutes).</summary>
    public string SessionId { get; }

    /// <summary>Whether the customer has logged in with this app before.</summary>
    public bool AppRegistered { get; }

    /// <summary>Whether the customer has a password for this factor, so the screen can offer it.</summary>
    public bool HasPassword { get; }

    /// <summary>The name the session will be kept under in the store.</summary>
    public string SessionName { get; }

    private string Prefix => Step switch { LoginStep.WebFirstFactor => "web/", LoginStep.SecondFactor => "mfa/", _ => "" };

    /// <summary>Sends (or sends again) a one-time code to the identifier.</summary>
    /// <exception cref="SessionsApiException">1534 (too many codes; <see cref="SessionsApiException.RetryAfter"/>), 1550 (locked).</exception>
    public async Task SendOtpAsync(CancellationToken cancellationToken = default) =>
        (await _client.Context.PostAsync(Prefix + "otp/generate", Identity, json => json.WriteString("sessionId", SessionId), null, cancellationToken)
            .ConfigureAwait(false)).EnsureSuccess();

    /// <summary>Checks the code the customer typed; a wrong one throws <see cref="SessionsApiException"/> 1506.</summary>
    public Task<SignInResult> VerifyOtpAsync(string otp, CancellationToken cancellationToken = default) =>
        ValidateAsync("otp/validate", json => json.WriteString("otp", otp), cancellationToken);

    /// <summary>Checks the customer's password; a wrong one throws <see cref="SessionsApiException"/> 1528.</summary>
    public Task<SignInResult> VerifyPasswordAsync(string password, CancellationToken cancellationToken = default) =>
        ValidateAsync("password/validate", json => json.WriteString("password", password), cancellationToken);

    /// <summary>
    /// Resets the password of this factor with the code sent by <see cref="SendOtpAsync"/> (API.md §4.1, §4.2). Every
    /// session of the customer ends; log in again with the new password.
    /// </summary>
    public async Task ResetPasswordAsync(string otp, string newPassword, CancellationToken cancellationToken = default) =>
        (await _client.Context.PostAsync(Prefix + "password/forget", Identity, json =>
        {
            json.WriteString("sessionId", SessionId);
            json.WriteString("otp", otp);
            json.WriteString("password", newPassword);
            json.WriteString("confirmPassword", newPassword);
        }, null, cancellationToken).ConfigureAwait(false)).EnsureSuccess();

    private async Task<SignInResult> ValidateAsync(string endpoint, Action<Utf8JsonWriter> secret, CancellationToken cancellationToken)
    {
        var context = _client.Context;
        var deviceKey = context.Options.BindToDevice ? await context.DeviceKeys.CreateAsync(SessionName, cancellationToken).ConfigureAwait(false) : null;
        try
        {
            var answer = (await ProofCalls.PostAsync(context, Prefix + endpoint, Identity, json =>
            {
                json.WriteString("sessionId", SessionId);
                secret(json);
            }, deviceKey, accessToken: null, cancellationToken).ConfigureAwait(false)).EnsureSuccess();
            var result = await _client.CompleteAsync(this, answer, _webFamily, deviceKey, cancellationToken).ConfigureAwait(false);
            deviceKey = null;
            return result;
        }
        finally
        {
            deviceKey?.Dispose();
        }
    }
}
