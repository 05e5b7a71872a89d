using System.Text.Json;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Protocols;
using Microsoft.IdentityModel.Protocols.OpenIdConnect;
using Microsoft.IdentityModel.Tokens;

namespace Sessions.ResourceServer;

/// <summary>
/// How a resource server accepts Sessions USER tokens: ASP.NET Core's JwtBearer handler with the brand's JWKS (no
/// secret of the brand), kept fresh by IdentityModel's configuration manager, and for a device-bound token
/// (<c>cnf.jkt</c>, API.md §4.7) the <c>DPoP</c> scheme with a proof by that device key on every call (RFC 9449 §7). A
/// copied token alone is then as useless here as a copied key is at Sessions.
/// </summary>
public static class SessionsTokens
{
    /// <summary>The authorization policy of calls that need the second factor: a USER token (<c>rol</c> = <c>USER</c>).</summary>
    public const string UserPolicy = "User";
    private const string DPoPScheme = "DPoP ";

    /// <summary>How often the JWKS is fetched again: its <c>Cache-Control: max-age</c>.</summary>
    public static readonly TimeSpan JwksRefreshInterval = TimeSpan.FromMinutes(5);

    /// <summary>
    /// The least time between two fetches caused by tokens naming an unknown key, so that forged <c>kid</c>s cannot make
    /// this server flood the service.
    /// </summary>
    public static readonly TimeSpan UnknownKeyRefetchInterval = TimeSpan.FromSeconds(30);

    /// <summary>
    /// Authenticates requests by the USER tokens of one brand (the default scheme, JwtBearer), and adds the
    /// <see cref="UserPolicy"/> authorization policy: a USER token, past its second factor.
    /// </summary>
    /// <param name="services">The API's services.</param>
    /// <param name="issuer">The service's <c>Sessions:Issuer</c>.</param>
    /// <param name="jwksUri">The brand's JWKS, <c>https://sessions.example/auth/v1/brands/{brand}/jwks.json</c>: https unless on this machine.</param>
    /// <param name="backchannel">The client that fetches it (a new one if none).</param>
    /// <exception cref="ArgumentException">The issuer is empty, or the JWKS is not at an absolute https URL (http only on this machine).</exception>
    public static IServiceCollection AddSessionsTokens(this IServiceCollection services, string issuer, Uri jwksUri, HttpClient? backchannel = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(issuer);
        ArgumentNullException.ThrowIfNull(jwksUri);
        if (!jwksUri.IsAbsoluteUri || !(jwksUri.Scheme == Uri.UriSchemeHttps || (jwksUri.Scheme == Uri.UriSchemeHttp && jwksUri.IsLoopback)))
        {
            // Keys fetched in clear could be swapped on the way: anyone could then mint tokens this API accepts.
            throw new ArgumentException($"The JWKS must be at an absolute https URL (http only on this machine): '{jwksUri}'.", nameof(jwksUri));
        }
        services.AddMemoryCache();
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<IDeviceProofReplayCache, MemoryDeviceProofReplayCache>();
        services.AddSingleton<DeviceProofValidator>();
        services.AddAuthentication(JwtBearerDefaults.AuthenticationScheme).AddJwtBearer(options =>
        {
            options.MapInboundClaims = false;
            options.TokenValidationParameters = new TokenValidationParameters
            {
                ValidIssuer = issuer,                 // Sessions:Issuer
                ValidateAudience = false,             // USER tokens carry no aud
                ValidAlgorithms = [SecurityAlgorithms.EcdsaSha256],
            };
            // The keys come from the JWKS, fetched on first use (the service need not be up when this server starts),
            // again every five minutes, and at once when a token names a key not seen yet: a new signing key is trusted
            // without a restart.
            options.ConfigurationManager = new ConfigurationManager<OpenIdConnectConfiguration>(
                jwksUri.AbsoluteUri,
                new JwksRetriever(),
                new HttpDocumentRetriever(backchannel ?? Backchannel(TimeSpan.FromSeconds(10), 1024 * 1024)) { RequireHttps = !jwksUri.IsLoopback })
            {
                AutomaticRefreshInterval = JwksRefreshInterval,
                RefreshInterval = UnknownKeyRefetchInterval,
            };
            options.Events = new JwtBearerEvents
            {
                OnMessageReceived = context =>
                {
                    // JwtBearer reads "Bearer <token>"; a device-bound token comes as "DPoP <token>".
                    var authorization = context.Request.Headers.Authorization.ToString();
                    if (authorization.StartsWith(DPoPScheme, StringComparison.OrdinalIgnoreCase))
                    {
                        context.Token = authorization[DPoPScheme.Length..].Trim();
                    }
                    return Task.CompletedTask;
                },
                OnTokenValidated = CheckBindingAndSessionAsync,
                OnChallenge = context =>
                {
                    if (context.AuthenticateFailure is CheckUnavailableException)
                    {
                        // The token (and its proof) may well be good: a 401 would send the app to log in again for nothing.
                        context.HandleResponse();
                        context.Response.StatusCode = StatusCodes.Status503ServiceUnavailable;
                        context.Response.Headers.RetryAfter = "1";
                        return Task.CompletedTask;
                    }
                    // RFC 9449 §7.1: tell the client that DPoP with ES256 is understood here.
                    context.Response.Headers.Append("WWW-Authenticate", "DPoP algs=\"ES256\"");
                    return Task.CompletedTask;
                },
            };
        });
        services.AddAuthorizationBuilder().AddPolicy(UserPolicy, policy => policy.RequireClaim("rol", "USER"));
        return services;
    }

    /// <summary>
    /// A client of the service's own, for this library's calls to it, which callers wait for: it waits at most
    /// <paramref name="timeout"/> and reads at most <paramref name="maxResponseBytes"/> (a JWKS is a few keys, an
    /// introspection answer a few claims). It lives as long as the API, so its connections are renewed to follow the
    /// service's DNS.
    /// </summary>
    internal static HttpClient Backchannel(TimeSpan timeout, int maxResponseBytes) =>
        new(new SocketsHttpHandler { PooledConnectionLifetime = TimeSpan.FromMinutes(5) })
        {
            Timeout = timeout,
            MaxResponseContentBufferSize = maxResponseBytes,
        };

    /// <summary>
    /// Ends a token's session here within <see cref="SessionRevocationOptions.RecheckAfter"/> of its end at the service
    /// (a sign-out, a password change, a revocation by support, a replayed key), not only when the token expires: each
    /// process asks the service (RFC 7662 introspection with the brand's client credentials) about each session in use
    /// once per interval. Call it beside <see cref="AddSessionsTokens"/>.
    /// </summary>
    /// <exception cref="OptionsValidationException">At start-up: no endpoint, an endpoint in clear on another machine, no brand or secret, or an interval not above zero and at most 15 minutes.</exception>
    public static IServiceCollection AddSessionsRevocationCheck(this IServiceCollection services, Action<SessionRevocationOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(configure);
        services.AddMemoryCache();
        services.TryAddSingleton(TimeProvider.System);
        services.AddOptions<SessionRevocationOptions>().Configure(configure)
            .Validate(o => o.Endpoint is { IsAbsoluteUri: true } endpoint
                && (endpoint.Scheme == Uri.UriSchemeHttps || (endpoint.Scheme == Uri.UriSchemeHttp && endpoint.IsLoopback)),
                "SessionRevocationOptions.Endpoint must be the service's introspection URL, absolute and https (http only on this machine): the token and the secret go there.")
            .Validate(o => !string.IsNullOrWhiteSpace(o.Brand) && !string.IsNullOrWhiteSpace(o.Secret),
                "SessionRevocationOptions.Brand and SessionRevocationOptions.Secret must be the brand and its IntrospectionSecret.")
            .Validate(o => o.RecheckAfter > TimeSpan.Zero && o.RecheckAfter <= TimeSpan.FromMinutes(15),
                "SessionRevocationOptions.RecheckAfter must be above zero and at most 15 minutes (a token's life).")
            .ValidateOnStart();
        services.TryAddSingleton<SessionRevocations>();
        return services;
    }

    /// <summary>The device binding of the token, then, where <see cref="AddSessionsRevocationCheck"/> asks for it, whether its session still lives.</summary>
    private static async Task CheckBindingAndSessionAsync(TokenValidatedContext context)
    {
        await CheckDeviceBindingAsync(context);
        if (context.Result is not null || context.HttpContext.RequestServices.GetService<SessionRevocations>() is not { } revocations)
        {
            return;
        }
        switch (await revocations.IsSessionActiveAsync((JsonWebToken)context.SecurityToken))
        {
            case false:
                context.Fail("the token's session has ended at the service");
                break;
            case null when revocations.RefusesWhenUnanswered:
                context.Fail(new CheckUnavailableException("the service could not say whether the token's session still lives"));
                break;
        }
    }

    /// <summary>A bound token needs the DPoP scheme and a good proof by its key; a bearer token must not pretend to be bound.</summary>
    private static async Task CheckDeviceBindingAsync(TokenValidatedContext context)
    {
        var token = (JsonWebToken)context.SecurityToken;
        var request = context.Request;
        var presentedAsDPoP = request.Headers.Authorization.ToString().StartsWith(DPoPScheme, StringComparison.OrdinalIgnoreCase);
        if (!token.TryGetPayloadValue<JsonElement>("cnf", out var cnf) || !cnf.TryGetProperty("jkt", out var jkt) || jkt.GetString() is not { } thumbprint)
        {
            if (presentedAsDPoP)
            {
                context.Fail("a token that is not device-bound must be presented with the Bearer scheme");
            }
            return;
        }
        if (!presentedAsDPoP)
        {
            context.Fail("a device-bound token needs the DPoP scheme and a proof");
            return;
        }
        var proofs = request.Headers["DPoP"];
        var validator = context.HttpContext.RequestServices.GetRequiredService<DeviceProofValidator>();
        if (await validator.CheckAsync(proofs.Count == 1 ? proofs[0] : null, request, token.EncodedToken, thumbprint) is { } failure)
        {
            context.Fail(failure.CouldNotCheck ? new CheckUnavailableException(failure.Reason) : new AuthenticationFailureException(failure.Reason));
        }
    }

    /// <summary>A check that could not be made: not the caller's fault, so answered 503, not 401.</summary>
    private sealed class CheckUnavailableException(string message) : Exception(message);
}
