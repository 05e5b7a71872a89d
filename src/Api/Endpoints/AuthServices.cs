using System.Diagnostics.CodeAnalysis;
using Microsoft.Extensions.Options;
using Sessions.Api.Envelope;
using Sessions.Api.Requests;
using Sessions.Api.Security;
using Sessions.Api.Tokens;
using Sessions.Grains;
using Sessions.Grains.Configuration;
using Sessions.Grains.Contracts;

namespace Sessions.Api.Endpoints;

/// <summary>What every <c>/auth/v1</c> handler works with, and the steps they share.</summary>
public sealed class AuthServices(
    DeviceSessionReferences deviceSessions,
    IOptions<SessionsOptions> options,
    TokenIssuer issuer,
    TokenVerifier verifier,
    DeviceProofs proofs,
    DeviceNonces nonces,
    BrowserOrigins origins,
    AuthAudit audit,
    IdempotentRetry retry)
{
    public SessionsOptions Options => options.Value;
    public TokenIssuer Issuer => issuer;
    public AuthAudit Audit => audit;
    public IdempotentRetry Retry => retry;

    public IDeviceSessionGrain DeviceSession(DeviceRequest device) => deviceSessions.Get(device.GrainKey);

    /// <summary>
    /// Reads the device session a request names; MFA endpoints also need the brand to enable MFA (1551), web ones
    /// web login (1519). <c>deviceId</c> is optional on both: absent, it is the identifier's web device session.
    /// </summary>
    public bool TryReadDevice(AuthRequest request, SessionFlow flow, Channel channel,
        [NotNullWhen(true)] out DeviceRequest? device, [NotNullWhen(false)] out EnvelopeResult? error)
    {
        if (!TryReadDevice(request, deviceOptional: channel == Channel.Web || flow == SessionFlow.Mfa, out device, out error))
        {
            return false;
        }
        if (channel == Channel.Web && !device.Brand.Web.Enabled)
        {
            error = EnvelopeResult.Fail(AuthError.InvalidDetails, "web login is not enabled for the brand");
            return false;
        }
        if (flow == SessionFlow.Mfa && !device.Brand.MfaEnabled)
        {
            error = EnvelopeResult.Fail(AuthError.MfaNotEnabled);
            return false;
        }
        return true;
    }

    /// <summary>
    /// Reads the device session a request names, for a caller its brand lets act: a page of another brand's website
    /// (by its <c>Origin</c>) is refused before anything is done (README, "Walk-through: a browser").
    /// </summary>
    public bool TryReadDevice(AuthRequest request, bool deviceOptional,
        [NotNullWhen(true)] out DeviceRequest? device, [NotNullWhen(false)] out EnvelopeResult? error)
    {
        if (!DeviceRequest.TryRead(request, Options, deviceOptional, out device, out error))
        {
            return false;
        }
        if (!origins.MayActFor(device.Brand, request.Http))
        {
            device = null;
            error = EnvelopeResult.Fail(AuthError.InvalidDetails, "the page's origin is not one of the brand's websites");
            return false;
        }
        return true;
    }

    /// <summary>
    /// Reads and checks the JWT in <paramref name="field"/> for <paramref name="use"/> where no proof goes with it: an
    /// exchange's credential (a key, or a browser's last token), whose proof the exchange itself takes, or the token
    /// that authorises an MFA login.
    /// </summary>
    public (VerifiedToken? Token, EnvelopeResult? Error) Verify(AuthRequest request, string field, TokenUse use, DeviceRequest device) =>
        TryVerify(request, field, use, device, out var token, out _, out var error) ? (token, null) : (null, error);

    /// <summary>
    /// Reads and checks the USER token of an account call (a password or identifier change, a logout, the signed-in
    /// devices) in <paramref name="field"/> for <paramref name="use"/>, and, where the brand requires it
    /// (<c>RequireProofForBoundTokens</c>), the device proof a bound family's token must come with.
    /// </summary>
    public async ValueTask<(VerifiedToken? Token, EnvelopeResult? Error)> VerifyAsync(AuthRequest request, string field, TokenUse use, DeviceRequest device)
    {
        if (!TryVerify(request, field, use, device, out var token, out var compact, out var error))
        {
            return (null, error);
        }
        var needsProof = token.DeviceKeyThumbprint is not null && device.Brand.RequireProofForBoundTokens;
        if (device.Brand.DeviceBinding == DeviceBinding.Off || !needsProof && request.Http.Headers[DeviceProofs.Header].Count == 0)
        {
            return (token, null);
        }
        var refusal = needsProof ? await TokenProofRefusalAsync(request, device, token, compact) : null;
        // A binding brand's answer to a call that carried a proof, or needed one, hands out the nonce for the client's next
        // proof (API.md §4.7, RFC 9449 §8), whatever the answer: as a regenerate's does.
        request.Http.HttpContext.Response.Headers[EnvelopeWriter.DeviceNonceHeader] = nonces.Issue(device.Identifier.Brand);
        return refusal is null ? (token, null) : (null, refusal);
    }

    private bool TryVerify(AuthRequest request, string field, TokenUse use, DeviceRequest device,
        [NotNullWhen(true)] out VerifiedToken? token, [NotNullWhen(true)] out string? compact, [NotNullWhen(false)] out EnvelopeResult? error)
    {
        token = null;
        if (!request.TryRequired(field, FieldReader.MaxTokenLength, out compact, out error))
        {
            return false;
        }
        (token, var code) = verifier.Verify(compact, use, device);
        error = token is null ? EnvelopeResult.Fail(code) : null;
        return token is not null;
    }

    /// <summary>
    /// Why a bound family's token may not authorise this call (RFC 9449 §7): no proof (1562); a proof not for this request
    /// or not naming this token by <c>ath</c> (1560, or 1563 when stale); or one its family refuses: another device key
    /// (1561), seen before (1560). Null when the proof is good; the family has remembered it.
    /// </summary>
    private async Task<EnvelopeResult?> TokenProofRefusalAsync(AuthRequest request, DeviceRequest device, VerifiedToken token, string compact)
    {
        var check = proofs.Check(request.Http, device.Identifier.Brand, device.Brand, accessToken: compact);
        if (check.Error != AuthError.None)
        {
            return EnvelopeResult.Fail(check.Error);
        }
        if (check.Proof is not { } proof)
        {
            return EnvelopeResult.Fail(AuthError.DeviceProofRequired);
        }
        var family = token.Family;
        var accepted = await deviceSessions.Get(family.DeviceSessionKey).AcceptTokenProofAsync(family, proof);
        if (accepted.Error == AuthError.DeviceKeyMismatch)
        {
            audit.TokenDeviceKeyMismatch(device, request.Http.Path);
        }
        return accepted.Succeeded ? null : EnvelopeResult.Fail(accepted.Error, retryAfter: accepted.RetryAfter);
    }

    /// <summary>
    /// Reads the device proof of a call that can bind or exchange a family (API.md §4.7). With the brand's binding
    /// <c>Off</c> the header is ignored. A proof that does not verify is refused here (1560; 1563 with a nonce), before any
    /// grain hears of the call; whether the family needs a proof, and this one, is its grain's to decide.
    /// </summary>
    public bool TryReadProof(AuthRequest request, DeviceRequest device, out DeviceProof? proof, [NotNullWhen(false)] out EnvelopeResult? error)
    {
        proof = null;
        error = null;
        if (device.Brand.DeviceBinding == DeviceBinding.Off)
        {
            return true;
        }
        var check = proofs.Check(request.Http, device.Identifier.Brand, device.Brand);
        if (check.Error != AuthError.None)
        {
            error = WithNonce(device, EnvelopeResult.Fail(check.Error));
            return false;
        }
        proof = check.Proof;
        return true;
    }

    /// <summary>
    /// An answer of a call that can carry a device proof: for a brand that binds devices, with the nonce for the client's
    /// next proof (RFC 9449 §8), on success and refusal alike, so a client never needs its own clock to be right.
    /// </summary>
    public EnvelopeResult WithNonce(DeviceRequest device, EnvelopeResult result) =>
        device.Brand.DeviceBinding == DeviceBinding.Off ? result : result.WithDeviceNonce(nonces.Issue(device.Identifier.Brand));

    /// <summary>The answer to a successful validate or regenerate: a fresh token, and the key when one is granted.</summary>
    public EnvelopeResult Granted(DeviceRequest device, Grant grant, SessionFlow flow, bool withIdentifiers = false) =>
        WithNonce(device, GrantedAnswer(device, grant, flow, withIdentifiers));

    private EnvelopeResult GrantedAnswer(DeviceRequest device, Grant grant, SessionFlow flow, bool withIdentifiers)
    {
        if (!grant.Succeeded)
        {
            return grant.Error == AuthError.InvalidDetails ? NotASecondFactor() : EnvelopeResult.Fail(grant.Error, retryAfter: grant.RetryAfter);
        }

        var token = issuer.IssueUser(device, grant, flow);
        var key = grant is { Channel: Channel.Mobile, Key: { } issued } ? issuer.IssueKey(device, grant, issued, flow) : null;
        return EnvelopeResult.Success(
            new EnvelopeAuth(token, key),
            new EnvelopeUser(AppRegistered: true, SessionId: null, grant.Role.ToString(), UserRegisteredForPassword: null),
            withIdentifiers ? new EnvelopeIdentifiers(null) : null);
    }

    /// <summary>The answer to opening a session: a VIEW token and the session id.</summary>
    public EnvelopeResult Opened(DeviceRequest device, SessionOpened opened)
    {
        if (opened.Error != AuthError.None)
        {
            return opened.Error == AuthError.InvalidDetails ? NotASecondFactor() : EnvelopeResult.Fail(opened.Error, retryAfter: opened.RetryAfter);
        }

        return EnvelopeResult.Success(
            new EnvelopeAuth(issuer.IssueView(device, opened.ExpiresAt), Key: null),
            new EnvelopeUser(opened.AppRegistered, opened.SessionId, TokenClaims.ViewRole, opened.UserRegisteredForPassword));
    }

    /// <summary>
    /// The one answer for an identifier that may not be this customer's second factor (API.md §4.2), whether someone
    /// else holds it or it is new to a customer past their first MFA: a caller learns nothing about who holds what.
    /// </summary>
    private static EnvelopeResult NotASecondFactor() => EnvelopeResult.InvalidField("identifierValue", "is not a second factor of this customer");

    public static EnvelopeResult Acted(Outcome outcome, string message = "SUCCESS") =>
        outcome.Succeeded ? EnvelopeResult.Done(message) : EnvelopeResult.Fail(outcome.Error, retryAfter: outcome.RetryAfter);
}
