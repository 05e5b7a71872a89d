using Microsoft.IdentityModel.Protocols;
using Microsoft.IdentityModel.Protocols.OpenIdConnect;
using Microsoft.IdentityModel.Tokens;

namespace Sessions.ResourceServer;

/// <summary>
/// Reads a brand's JWKS (<c>GET /auth/v1/brands/{brand}/jwks.json</c>) as the signing keys of a configuration, so that
/// the library's <see cref="ConfigurationManager{T}"/> keeps it: fetched on first use, refreshed on a schedule, and
/// fetched again when a token names a key it does not know.
/// </summary>
public sealed class JwksRetriever : IConfigurationRetriever<OpenIdConnectConfiguration>
{
    public async Task<OpenIdConnectConfiguration> GetConfigurationAsync(string address, IDocumentRetriever retriever, CancellationToken cancel)
    {
        var jwks = new JsonWebKeySet(await retriever.GetDocumentAsync(address, cancel).ConfigureAwait(false));
        var configuration = new OpenIdConnectConfiguration { JsonWebKeySet = jwks };
        foreach (var key in jwks.GetSigningKeys())
        {
            configuration.SigningKeys.Add(key);
        }
        return configuration;
    }
}
