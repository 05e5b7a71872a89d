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
    private readonly JsonWebTokenHandler _handler = new() { SetDefaultTimesOnTokenCreation = false };
    private readonly string _issuer = options.Value.Issuer;

    public string IssueView(DeviceRequest device, DateTimeOffset expiresAt)
    {
        var now = clock.GetUtcNow();
        using var claims = new TokenPayload();
        claims.Add(TokenClaims.Issuer, _issuer);
        claims.AddSingleElementArray(TokenClaims.OrgCodes, OrgCode(device.Brand));
        claims.Add(TokenClaims.ExpiresAt, expiresAt.ToUnixTimeSeconds());
        claims.Add(TokenClaims.IssuedAt, now.ToUnixTimeSeconds());
        claims.Add(TokenClaims.Role, TokenClaims.ViewRole);
        claims.Add(TokenClaims.TokenId, RandomIds.NewTokenId());
        return Sign(device, claims);
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
        claims.AddSingleElementArray(TokenClaims.OrgCodes, OrgCode(device.Brand));
        claims.Add(TokenClaims.ExpiresAt, (web?.ExpiresAt ?? now.AddMinutes(minutes)).ToUnixTimeSeconds());
        claims.Add(TokenClaims.IssuedAt, (web?.IssuedAt ?? now).ToUnixTimeSeconds());
        claims.Add(TokenClaims.Role, grant.Role.ToString());
        claims.Add(TokenClaims.TokenId, web?.KeyId ?? RandomIds.NewTokenId());
        claims.Add(TokenClaims.FamilyId, grant.FamilyId);
        if (web is not null)
        {
            claims.Add(TokenClaims.Channel, TokenClaims.WebChannel);
        }
        return Sign(device, claims);
    }

    /// <summary>Signs a key from its stored claims only, so the same <see cref="IssuedKey"/> always gives the same key.</summary>
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
        return Sign(device, claims);
    }

    // The payload is written once as JSON and handed to the library, which builds the header, encodes and signs:
    // a claims dictionary and descriptor would be serialised by the library on every call to the same bytes.
    private string Sign(DeviceRequest device, TokenPayload claims) =>
        _handler.CreateToken(claims.ToJson(), keys.SigningCredentials(device.Identifier.Brand), new Dictionary<string, object>
        {
            [TokenClaims.Identifiers] = new[] { device.Identifier.ToIdv() },
            [TokenClaims.Device] = device.TokenDevice!,
            [TokenClaims.Organization] = device.Identifier.Brand,
        });

    private static string OrgCode(BrandOptions brand) => $"{brand.OrgId}|{brand.OrgUser}";
}
