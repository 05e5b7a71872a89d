using System.Collections.Frozen;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;
using Sessions.Api.Requests;
using Sessions.Grains;
using Sessions.Grains.Configuration;
using Sessions.Grains.Contracts;

namespace Sessions.Api.Tokens;

/// <summary>Signs VIEW tokens, USER/MFA_PENDING tokens and keys for the device session a request names.</summary>
public sealed class TokenIssuer(
    SigningKeyRing keys,
    IOptions<SessionsOptions> options,
    [FromKeyedServices(ServiceKeys.Clock)] TimeProvider clock)
{
    [ThreadStatic]
    private static Dictionary<string, object>? t_header;

    private readonly JsonWebTokenHandler _handler = new() { SetDefaultTimesOnTokenCreation = false };
    private readonly string _issuer = options.Value.Issuer;
    private readonly FrozenDictionary<string, string> _orgCodes = options.Value.Brands.ToFrozenDictionary(
        b => b.Key.ToUpperInvariant(), b => $"{b.Value.OrgId}|{b.Value.OrgUser}", StringComparer.Ordinal);

    public string IssueView(DeviceRequest device, DateTimeOffset expiresAt)
    {
        var now = clock.GetUtcNow();
        using var claims = new TokenPayload();
        claims.Add(TokenClaims.Issuer, _issuer);
        claims.AddSingleElementArray(TokenClaims.OrgCodes, _orgCodes[device.Identifier.Brand]);
        claims.Add(TokenClaims.ExpiresAt, expiresAt.ToUnixTimeSeconds());
        claims.Add(TokenClaims.IssuedAt, now.ToUnixTimeSeconds());
        claims.Add(TokenClaims.Role, TokenClaims.ViewRole);
        claims.Add(TokenClaims.TokenId, RandomIds.NewTokenId());
        return Sign(device, claims, keys.SigningCredentials(device.Identifier.Brand, now));
    }

    /// <summary>
    /// The USER (or MFA_PENDING) token of a grant. A web grant's token is its family's credential: it is signed from
    /// the stored claims only, so the retry grace hands out the byte-identical successor, as for keys.
    /// </summary>
    public string IssueUser(DeviceRequest device, Grant grant, SessionFlow flow)
    {
        var now = clock.GetUtcNow();
        var minutes = flow == SessionFlow.Mfa ? device.Brand.MfaTokenMinutes : device.Brand.UserTokenMinutes;
        var web = grant.Channel == Channel.Web ? grant.Key : null;
        using var claims = new TokenPayload();
        claims.Add(TokenClaims.CustomerId, grant.CustomerId);
        claims.Add(TokenClaims.Issuer, _issuer);
        claims.Add(TokenClaims.IsServiceClient, "false");
        claims.AddSingleElementArray(TokenClaims.OrgCodes, _orgCodes[device.Identifier.Brand]);
        var issuedAt = web?.IssuedAt ?? now;
        claims.Add(TokenClaims.ExpiresAt, (web?.ExpiresAt ?? now.AddMinutes(minutes)).ToUnixTimeSeconds());
        claims.Add(TokenClaims.IssuedAt, issuedAt.ToUnixTimeSeconds());
        claims.Add(TokenClaims.Role, grant.Role.ToString());
        claims.Add(TokenClaims.TokenId, web?.KeyId ?? RandomIds.NewTokenId());
        claims.Add(TokenClaims.FamilyId, grant.FamilyId);
        if (web is not null)
        {
            claims.Add(TokenClaims.Channel, TokenClaims.WebChannel);
        }
        claims.AddConfirmation(grant.DeviceKeyThumbprint);
        var brand = device.Identifier.Brand;
        return Sign(device, claims, web is null ? keys.SigningCredentials(brand, issuedAt) : keys.WebSigningCredentials(brand, issuedAt));
    }

    /// <summary>
    /// Signs a key from its stored claims only, with the brand's key-signing credentials (deterministic in every brand), so
    /// the same <see cref="IssuedKey"/> always gives the byte-identical key.
    /// </summary>
    public string IssueKey(DeviceRequest device, Grant grant, IssuedKey key, SessionFlow flow)
    {
        using var claims = new TokenPayload();
        claims.Add(TokenClaims.CustomerId, grant.CustomerId);
        claims.Add(TokenClaims.Issuer, _issuer);
        claims.Add(TokenClaims.Mfa, flow == SessionFlow.Mfa);
        claims.Add(TokenClaims.IssuedAt, key.IssuedAt.ToUnixTimeSeconds());
        claims.Add(TokenClaims.Role, TokenClaims.KeyRole);
        claims.Add(TokenClaims.TokenId, key.KeyId);
        claims.Add(TokenClaims.FamilyId, grant.FamilyId);
        if (key.ExpiresAt is { } expiresAt)
        {
            claims.Add(TokenClaims.ExpiresAt, expiresAt.ToUnixTimeSeconds());
        }
        claims.AddConfirmation(grant.DeviceKeyThumbprint);
        return Sign(device, claims, keys.KeySigningCredentials(device.Identifier.Brand, key.IssuedAt));
    }

    // The payload is written once as JSON and handed to the library, which builds the header, encodes and signs:
    // a claims dictionary and descriptor would be serialised by the library on every call to the same bytes. Signing
    // is synchronous, so one dictionary of header claims per thread serves every token that thread signs.
    private string Sign(DeviceRequest device, TokenPayload claims, SigningCredentials credentials)
    {
        var header = t_header ??= new Dictionary<string, object>(3, StringComparer.Ordinal);
        header[TokenClaims.Identifiers] = new[] { device.Identifier.ToIdv() };
        header[TokenClaims.Device] = device.TokenDevice!;
        header[TokenClaims.Organization] = device.Identifier.Brand;
        return _handler.CreateToken(claims.ToJson(), credentials, header);
    }
}
