using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace Sessions.ResourceServer;

/// <summary>
/// Checks the DPoP proof that must come with a device-bound token on a resource server's API (RFC 9449 §4.3 and §7):
/// a JWS typed <c>dpop+jwt</c>, ES256, signed by the public <c>jwk</c> in its header; for this request's method and URL;
/// recent; never seen before; bound to this very token (<c>ath</c>); and made by the device key the token's
/// <c>cnf.jkt</c> names. The JWS checks are the library's (<see cref="JsonWebTokenHandler"/>); the thumbprint is
/// <see cref="JsonWebKey.ComputeJwkThumbprint"/>; the proofs seen are kept by an <see cref="IDeviceProofReplayCache"/>.
/// </summary>
public sealed partial class DeviceProofValidator(IDeviceProofReplayCache seenProofs, TimeProvider clock, ILogger<DeviceProofValidator> logger)
{
    /// <summary>How far a proof's <c>iat</c> may be from this server's clock.</summary>
    public static readonly TimeSpan Window = TimeSpan.FromSeconds(60);

    /// <summary>The reason <see cref="FailureAsync"/> gave when the replay cache could not be asked.</summary>
    [Obsolete("Use CheckAsync, whose DeviceProofFailure.CouldNotCheck tells this case without comparing text.")]
    public const string ReplayCheckUnavailable = UncheckedReason;

    private const string UncheckedReason = "the proof could not be checked against replays";

    private readonly JsonWebTokenHandler _handler = new();

    /// <summary>Null when the proof is good for this request and token; otherwise why not.</summary>
    [Obsolete("Use CheckAsync, which also tells a proof that could not be checked (answer 503) from a refused one (401).")]
    public async Task<string?> FailureAsync(string? proof, HttpRequest request, string accessToken, string boundThumbprint) =>
        (await CheckAsync(proof, request, accessToken, boundThumbprint))?.Reason;

    /// <summary>Null when the proof is good for this request and token; otherwise why not.</summary>
    public async Task<DeviceProofFailure?> CheckAsync(string? proof, HttpRequest request, string accessToken, string boundThumbprint)
    {
        if (string.IsNullOrEmpty(proof) || !_handler.CanReadToken(proof))
        {
            return DeviceProofFailure.Refused("a DPoP proof is required");
        }
        var unverified = _handler.ReadJsonWebToken(proof);
        if (!unverified.TryGetHeaderValue<JsonElement>("jwk", out var jwkJson) || jwkJson.ValueKind != JsonValueKind.Object)
        {
            return DeviceProofFailure.Refused("the proof has no jwk");
        }
        var jwk = new JsonWebKey(jwkJson.GetRawText());
        if (jwk.Kty != "EC" || jwk.Crv != "P-256" || jwk.HasPrivateKey)
        {
            return DeviceProofFailure.Refused("the proof's jwk is not a public P-256 key");
        }

        var validated = await _handler.ValidateTokenAsync(proof, new TokenValidationParameters
        {
            IssuerSigningKey = jwk,
            ValidTypes = ["dpop+jwt"],
            ValidAlgorithms = [SecurityAlgorithms.EcdsaSha256],
            ValidateIssuer = false,
            ValidateAudience = false,
            ValidateLifetime = false,
            RequireExpirationTime = false,
        });
        if (!validated.IsValid)
        {
            return DeviceProofFailure.Refused("the proof's signature does not verify");
        }

        var claims = (JsonWebToken)validated.SecurityToken;
        var thumbprint = Base64UrlEncoder.Encode(jwk.ComputeJwkThumbprint());
        var accessTokenHash = Base64UrlEncoder.Encode(SHA256.HashData(Encoding.ASCII.GetBytes(accessToken)));
        if (!string.Equals(thumbprint, boundThumbprint, StringComparison.Ordinal))
        {
            return DeviceProofFailure.Refused("the proof is not by the token's device key");
        }
        if (!claims.TryGetPayloadValue<string>("ath", out var ath) || ath != accessTokenHash)
        {
            return DeviceProofFailure.Refused("the proof is not for this token");
        }
        if (!claims.TryGetPayloadValue<string>("htm", out var htm) || htm != request.Method
            || !claims.TryGetPayloadValue<string>("htu", out var htu) || !IsThisRequest(htu, request))
        {
            return DeviceProofFailure.Refused("the proof is for another request");
        }
        if (!claims.TryGetPayloadValue<long>("iat", out var iat)
            || (clock.GetUtcNow() - DateTimeOffset.FromUnixTimeSeconds(iat)).Duration() > Window)
        {
            return DeviceProofFailure.Refused("the proof is not recent");
        }
        if (!claims.TryGetPayloadValue<string>("jti", out var jti) || string.IsNullOrEmpty(jti))
        {
            return DeviceProofFailure.Refused("the proof was used before");
        }
        return await IsFirstUseAsync(thumbprint, jti, request.HttpContext.RequestAborted) switch
        {
            true => null,
            false => DeviceProofFailure.Refused("the proof was used before"),
            null => DeviceProofFailure.Unchecked(UncheckedReason),
        };
    }

    /// <summary>
    /// Whether no proof of this device key with this <c>jti</c> was accepted before, remembered while a proof could still
    /// be recent; null when the cache cannot tell, and the proof is then refused.
    /// </summary>
    private async Task<bool?> IsFirstUseAsync(string thumbprint, string jti, CancellationToken cancellationToken)
    {
        // A fixed-length id: the jti is the device's choice, of any length, and a shared cache need not hold it.
        var proofId = Base64UrlEncoder.Encode(SHA256.HashData(Encoding.UTF8.GetBytes(thumbprint + ":" + jti)));
        try
        {
            return await seenProofs.TryAddAsync(proofId, 2 * Window, cancellationToken);
        }
        catch (Exception failure) when (failure is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            // Refused, not waved through: accepting a proof that may be a replay is what the cache is there to prevent.
            LogReplayCacheFailed(logger, failure);
            return null;
        }
    }

    [LoggerMessage(EventId = 1, Level = LogLevel.Warning, Message = "A DPoP proof was refused: the replay cache could not be asked whether it was seen before")]
    private static partial void LogReplayCacheFailed(ILogger logger, Exception failure);

    /// <summary>The request's URL without query (RFC 9449 §4.3): scheme and host in any case, default ports left out.</summary>
    private static bool IsThisRequest(string htu, HttpRequest request) =>
        Uri.TryCreate(htu, UriKind.Absolute, out var presented)
        && Uri.TryCreate($"{request.Scheme}://{request.Host}{request.PathBase}{request.Path}", UriKind.Absolute, out var actual)
        && string.Equals(presented.GetLeftPart(UriPartial.Authority), actual.GetLeftPart(UriPartial.Authority), StringComparison.OrdinalIgnoreCase)
        && string.Equals(presented.AbsolutePath, actual.AbsolutePath, StringComparison.Ordinal);
}

/// <summary>Why a DPoP proof was not accepted.</summary>
/// <param name="Reason">Why, in words for the resource server's log (JwtBearer logs the failure); it never quotes the proof.</param>
/// <param name="CouldNotCheck">
/// The proof could not be checked (the replay cache did not answer): not the caller's fault, so a resource server
/// answers 503 rather than 401.
/// </param>
public sealed record DeviceProofFailure(string Reason, bool CouldNotCheck)
{
    internal static DeviceProofFailure Refused(string reason) => new(reason, CouldNotCheck: false);

    internal static DeviceProofFailure Unchecked(string reason) => new(reason, CouldNotCheck: true);
}
