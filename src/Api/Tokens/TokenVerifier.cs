using System.Collections.Frozen;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;
using Sessions.Api.Requests;
using Sessions.Grains;
using Sessions.Grains.Configuration;
using Sessions.Grains.Contracts;
using Sessions.Grains.Identity;

namespace Sessions.Api.Tokens;

/// <summary>What a JWT in a request is presented as; each use accepts exactly one kind of token.</summary>
public enum TokenUse
{
    /// <summary><c>authorizedToken</c> of <c>mfa/token/generate</c>: a USER or MFA_PENDING token; only org and dev must match.</summary>
    AuthorizedToken,

    /// <summary><c>token</c> of <c>mfa/token/expire</c> and the app's <c>password/change</c>: a mobile USER token of this device session.</summary>
    UserToken,

    /// <summary><c>token</c> of <c>web/password/change</c>: a web USER token of this device session.</summary>
    WebUserToken,

    /// <summary><c>token</c> of <c>user/updateIdentifierValue</c>: a USER token of this device session, app or web.</summary>
    AnyUserToken,

    /// <summary><c>expiredToken</c> of <c>web/token/regenerate</c>: a web USER or MFA_PENDING token, expired or not.</summary>
    WebToken,

    /// <summary><c>key</c> of <c>token/regenerate</c>: a first-factor key.</summary>
    PrimaryKey,

    /// <summary><c>key</c> of <c>mfa/token/regenerate</c>: an MFA key.</summary>
    MfaKey,
}

/// <summary>
/// An active-looking token as introspection answers it: <see cref="Identifier"/> and <see cref="Device"/> (empty for
/// the web device session) name the device session its family lives in.
/// </summary>
public sealed record IntrospectedToken(string CustomerId, string FamilyId, string TokenId, string Role, string Brand, Identifier Identifier, string Device, long IssuedAt, long ExpiresAt,
    string? DeviceKeyThumbprint);

/// <summary>
/// The claims of a verified token that the endpoints act on. <see cref="Identifier"/> and <see cref="Device"/> (empty for the
/// web device session) name the device session its family lives in: the request's own, except for an
/// <c>authorizedToken</c>, whose first-factor identifier may differ from the request's second-factor one.
/// </summary>
/// <param name="DeviceKeyThumbprint">The <c>cnf.jkt</c> of an account call's token of a device-bound family (API.md §4.7); null otherwise.</param>
public sealed record VerifiedToken(string CustomerId, string FamilyId, string TokenId, string Role, Channel Channel, Identifier Identifier, string Device,
    string? DeviceKeyThumbprint = null)
{
    /// <summary>The token's family, for a grain to ask whether it still lives (API.md §3).</summary>
    public FamilyReference Family => new() { DeviceSessionKey = GrainKeys.DeviceSession(Identifier, Device), FamilyId = FamilyId, CustomerId = CustomerId };
}

/// <summary>
/// Strict verification (API.md §3): a known <c>kid</c> of the token's brand and the <c>alg</c> of that key, valid signature and issuer,
/// <c>exp</c> with 30 s leeway, the role the use takes, and the header identity equal to the request's.
/// </summary>
public sealed class TokenVerifier
{
    private static readonly TimeSpan Leeway = TimeSpan.FromSeconds(30);

    private readonly TimeProvider _clock;
    private readonly string _issuer;
    private readonly FrozenDictionary<string, SigningKeyRing.BrandKeys> _brands;

    public TokenVerifier(SigningKeyRing keys, IOptions<SessionsOptions> options, [FromKeyedServices(ServiceKeys.Clock)] TimeProvider clock)
    {
        _clock = clock;
        _issuer = options.Value.Issuer;
        _brands = options.Value.Brands.Keys.Select(b => b.ToUpperInvariant()).ToFrozenDictionary(b => b, b => keys.Find(b)!, StringComparer.Ordinal);
    }

    public (VerifiedToken? Token, AuthError Error) Verify(string compact, TokenUse use, DeviceRequest device)
    {
        var isKey = use is TokenUse.PrimaryKey or TokenUse.MfaKey;
        var invalid = isKey ? AuthError.InvalidKey : AuthError.InvalidToken;
        try
        {
            return Check(compact, use, device, isKey, invalid);
        }
        catch (Exception e) when (IsMalformed(e))
        {
            return (null, invalid);
        }
    }

    private (VerifiedToken? Token, AuthError Error) Check(string compact, TokenUse use, DeviceRequest device, bool isKey, AuthError invalid)
    {
        if (Signed(compact) is not var (jwt, org, keysOnly) || keysOnly && !isKey)
        {
            return (null, invalid);
        }

        var role = Claim(jwt, TokenClaims.Role);
        var channel = Claim(jwt, TokenClaims.Channel) == TokenClaims.WebChannel ? Channel.Web : Channel.Mobile;
        var roleAccepted = use switch
        {
            TokenUse.AuthorizedToken => role is "USER" or "MFA_PENDING",
            TokenUse.UserToken => role == "USER" && channel == Channel.Mobile,
            TokenUse.WebUserToken => role == "USER" && channel == Channel.Web,
            TokenUse.AnyUserToken => role == "USER",
            TokenUse.WebToken => role is "USER" or "MFA_PENDING" && channel == Channel.Web,
            _ => role == TokenClaims.KeyRole && jwt.TryGetPayloadValue<bool>(TokenClaims.Mfa, out var mfa) && mfa == (use == TokenUse.MfaKey),
        };
        if (!roleAccepted)
        {
            return (null, invalid);
        }

        var hasExpiry = jwt.TryGetPayloadValue<long>(TokenClaims.ExpiresAt, out var exp);
        if (!hasExpiry && !isKey)
        {
            return (null, invalid);
        }
        // A web token is its family's refresh credential: it regenerates after it expired, and the family's own
        // idle and age limits (in the grain) decide how long after.
        if (hasExpiry && use != TokenUse.WebToken && _clock.GetUtcNow() > DateTimeOffset.FromUnixTimeSeconds(exp) + Leeway)
        {
            return (null, isKey ? AuthError.InvalidKey : AuthError.TokenExpired);
        }

        if (org != device.Identifier.Brand)
        {
            return (null, AuthError.BrandMismatch);
        }
        if (TokenDevice(jwt) != device.DeviceId)
        {
            return (null, AuthError.DeviceMismatch);
        }
        var identifier = device.Identifier;
        if (use == TokenUse.AuthorizedToken)
        {
            // The first factor's identifier, where the token's family lives.
            if (TokenIdentifier(jwt, org) is not { } first)
            {
                return (null, invalid);
            }
            identifier = first;
        }
        else if (!CarriesIdentifier(jwt, device.Identifier.ToIdv()))
        {
            return (null, AuthError.IdentifierMismatch);
        }

        var customerId = Claim(jwt, TokenClaims.CustomerId);
        var familyId = Claim(jwt, TokenClaims.FamilyId);
        var tokenId = Claim(jwt, TokenClaims.TokenId);
        if (customerId is null || familyId is null || tokenId is null)
        {
            return (null, invalid);
        }
        // Only an account call's token may need a proof by its family's key; a key's or a browser's exchange is judged
        // by its grain, and an MFA login's authorising token takes none, so their cnf is not read.
        var thumbprint = use is TokenUse.UserToken or TokenUse.WebUserToken or TokenUse.AnyUserToken ? DeviceKeyThumbprint(jwt) : null;
        return (new VerifiedToken(customerId, familyId, tokenId, role!, channel, identifier, device.DeviceId, thumbprint), AuthError.None);
    }

    /// <summary>The token's device; <c>"dev": null</c> (the web device session) reads as <see cref="DeviceRequest.NoDevice"/>.</summary>
    private static string? TokenDevice(JsonWebToken jwt) =>
        !jwt.TryGetHeaderValue<string>(TokenClaims.Device, out var dev) ? null
        : dev is null ? DeviceRequest.NoDevice
        : dev.Length > 0 ? dev
        : null;

    /// <summary>
    /// A USER or MFA_PENDING token of <paramref name="brand"/> with a valid signature that has not expired (no leeway),
    /// as introspection (RFC 7662) reports it; null for anything else. Whether its family lives, the caller asks.
    /// </summary>
    public IntrospectedToken? Introspect(string compact, string brand)
    {
        try
        {
            return ReadActive(compact, brand);
        }
        catch (Exception e) when (IsMalformed(e))
        {
            return null;
        }
    }

    private IntrospectedToken? ReadActive(string compact, string brand)
    {
        if (Signed(compact) is not var (jwt, org, keysOnly) || keysOnly || org != brand
            || Claim(jwt, TokenClaims.Role) is not { } role || role is not ("USER" or "MFA_PENDING")
            || !jwt.TryGetPayloadValue<long>(TokenClaims.ExpiresAt, out var exp) || _clock.GetUtcNow() >= DateTimeOffset.FromUnixTimeSeconds(exp)
            || !jwt.TryGetPayloadValue<long>(TokenClaims.IssuedAt, out var iat)
            || TokenIdentifier(jwt, org) is not { } identifier
            || TokenDevice(jwt) is not { } device
            || Claim(jwt, TokenClaims.CustomerId) is not { } customerId
            || Claim(jwt, TokenClaims.FamilyId) is not { } familyId
            || Claim(jwt, TokenClaims.TokenId) is not { } tokenId)
        {
            return null;
        }
        return new IntrospectedToken(customerId, familyId, tokenId, role, org, identifier, device, iat, exp, DeviceKeyThumbprint(jwt));
    }

    /// <summary>
    /// Parses the token (the library's reader) and checks its signature (the library's signature provider of the key
    /// kid names) and issuer. Header checks come first and use nothing beyond the configured keys: an unknown org or
    /// kid fails closed, and alg must be the one of the key kid names (an ES256 key's public bytes never verify an
    /// HS256 token). Audience and lifetime are not the library's to check here: expiry is checked by the caller
    /// against the service clock. Hands back the token with the brand (<c>org</c>) whose key verified it.
    /// </summary>
    private (JsonWebToken Jwt, string Org, bool KeysOnly)? Signed(string compact)
    {
        JsonWebToken jwt;
        try
        {
            jwt = CompactJwt.Read(compact);
        }
        catch (ArgumentException)
        {
            return null;
        }

        if (jwt.TryGetHeaderValue<string>(TokenClaims.Organization, out var org) && org is not null
            && _brands.TryGetValue(org, out var brand)
            && brand.ById.TryGetValue(jwt.Kid ?? "", out var key)
            && jwt.Alg == key.Algorithm
            && key.Verifies(jwt)
            && string.Equals(jwt.Issuer, _issuer, StringComparison.Ordinal))
        {
            return (jwt, org, key.KeysOnly);
        }
        return null;
    }

    /// <summary>The <c>cnf.jkt</c> of a token of a device-bound family (API.md §4.7); null for a bearer token.</summary>
    private static string? DeviceKeyThumbprint(JsonWebToken jwt) =>
        jwt.TryGetPayloadValue<System.Text.Json.JsonElement>(TokenClaims.Confirmation, out var cnf) && cnf.ValueKind == System.Text.Json.JsonValueKind.Object
        && cnf.TryGetProperty(TokenClaims.KeyThumbprint, out var jkt) && jkt.ValueKind == System.Text.Json.JsonValueKind.String
            ? jkt.GetString()
            : null;

    private static string? Claim(JsonWebToken jwt, string name) =>
        jwt.TryGetPayloadValue<string>(name, out var value) && !string.IsNullOrEmpty(value) ? value : null;

    private static bool CarriesIdentifier(JsonWebToken jwt, string idv) =>
        jwt.TryGetHeaderValue<string[]>(TokenClaims.Identifiers, out var identifiers) && identifiers is [var only] && only == idv;

    /// <summary>The one identifier of the token's <c>idv</c>, in the form the service writes it; null for anything else.</summary>
    private static Identifier? TokenIdentifier(JsonWebToken jwt, string org) =>
        jwt.TryGetHeaderValue<string[]>(TokenClaims.Identifiers, out var identifiers) && identifiers is [{ } idv]
        && Identifier.FromIdv(org, idv) is { } identifier
        && IdentifierRules.NormalizeValue(identifier.Type, identifier.Value, out _) == identifier.Value
            ? identifier
            : null;

    /// <summary>
    /// What the library throws for a token whose parts are not what they claim (a header claim of the wrong JSON type, a
    /// number out of range): a malformed token, refused like any other invalid one, never a 500.
    /// </summary>
    private static bool IsMalformed(Exception exception) =>
        exception is ArgumentException or InvalidOperationException or FormatException or System.Text.Json.JsonException or OverflowException or InvalidCastException;
}
