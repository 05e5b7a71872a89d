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
        return Sign(device, new Dictionary<string, object>
        {
            [TokenClaims.Issuer] = _issuer,
            [TokenClaims.OrgCodes] = OrgCodes(device.Brand),
            [TokenClaims.ExpiresAt] = expiresAt.ToUnixTimeSeconds(),
            [TokenClaims.IssuedAt] = now.ToUnixTimeSeconds(),
            [TokenClaims.Role] = TokenClaims.ViewRole,
            [TokenClaims.TokenId] = RandomIds.NewTokenId(),
        });
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
        var claims = new Dictionary<string, object>
        {
            [TokenClaims.CustomerId] = grant.CustomerId,
            [TokenClaims.Issuer] = _issuer,
            [TokenClaims.IsServiceClient] = "false",
            [TokenClaims.OrgCodes] = OrgCodes(device.Brand),
            [TokenClaims.ExpiresAt] = (web?.ExpiresAt ?? now.AddMinutes(minutes)).ToUnixTimeSeconds(),
            [TokenClaims.IssuedAt] = (web?.IssuedAt ?? now).ToUnixTimeSeconds(),
            [TokenClaims.Role] = grant.Role.ToString(),
            [TokenClaims.TokenId] = web?.KeyId ?? RandomIds.NewTokenId(),
            [TokenClaims.FamilyId] = grant.FamilyId,
        };
        if (web is not null)
        {
            claims[TokenClaims.Channel] = TokenClaims.WebChannel;
        }
        return Sign(device, claims);
    }

    /// <summary>Signs a key from its stored claims only, so the same <see cref="IssuedKey"/> always gives the same key.</summary>
    public string IssueKey(DeviceRequest device, Grant grant, IssuedKey key, SessionFlow flow)
    {
        var claims = new Dictionary<string, object>
        {
            [TokenClaims.CustomerId] = grant.CustomerId,
            [TokenClaims.Issuer] = _issuer,
            [TokenClaims.Mfa] = flow == SessionFlow.Mfa,
            [TokenClaims.IssuedAt] = key.IssuedAt.ToUnixTimeSeconds(),
            [TokenClaims.Role] = TokenClaims.KeyRole,
            [TokenClaims.TokenId] = key.KeyId,
            [TokenClaims.FamilyId] = grant.FamilyId,
        };
        if (key.ExpiresAt is { } expiresAt)
        {
            claims[TokenClaims.ExpiresAt] = expiresAt.ToUnixTimeSeconds();
        }
        return Sign(device, claims);
    }

    private string Sign(DeviceRequest device, Dictionary<string, object> claims) =>
        _handler.CreateToken(new SecurityTokenDescriptor
        {
            Claims = claims,
            AdditionalHeaderClaims = new Dictionary<string, object>
            {
                [TokenClaims.Identifiers] = new[] { device.Identifier.ToIdv() },
                [TokenClaims.Device] = device.TokenDevice!,
                [TokenClaims.Organization] = device.Identifier.Brand,
            },
            SigningCredentials = keys.SigningCredentials(device.Identifier.Brand),
        });

    private static string[] OrgCodes(BrandOptions brand) => [$"{brand.OrgId}|{brand.OrgUser}"];
}
