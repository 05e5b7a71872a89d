using System.Collections.Frozen;
using Microsoft.AspNetCore.Cors.Infrastructure;
using Microsoft.Extensions.Options;
using Microsoft.Net.Http.Headers;
using Sessions.Grains.Configuration;

namespace Sessions.Api.Security;

/// <summary>
/// Which websites may call the <c>/auth/v1</c> login endpoints from a browser (the web flow of API.md §4.4 from another
/// origin than the API's): a page whose origin a brand lists in <c>Web:AllowedOrigins</c> passes ASP.NET Core's CORS
/// checks, and each of its calls may then act only for a brand that lists it.
/// </summary>
public sealed class BrowserOrigins
{
    public const string Policy = "brand-websites";

    private readonly FrozenSet<string> _listedByAnyBrand;
    private readonly Dictionary<BrandOptions, FrozenSet<string>> _byBrand = new(ReferenceEqualityComparer.Instance);

    public BrowserOrigins(IOptions<SessionsOptions> options)
    {
        foreach (var brand in options.Value.Brands.Values)
        {
            _byBrand[brand] = brand.Web.AllowedOrigins.Select(origin => WebOrigin.Normalize(origin, out _)).OfType<string>().ToFrozenSet(StringComparer.Ordinal);
        }
        _listedByAnyBrand = _byBrand.Values.SelectMany(origins => origins).ToFrozenSet(StringComparer.Ordinal);
    }

    public bool AnyListed => _listedByAnyBrand.Count > 0;

    public bool IsListedByAnyBrand(string origin) => _listedByAnyBrand.Contains(origin);

    /// <summary>
    /// Whether a call may act for <paramref name="brand"/>. A browser sends a cross-origin call with a JSON body only after
    /// a preflight that some brand's list allowed, so an origin no brand lists is the API's own page, or no browser; a
    /// listed one must be this brand's.
    /// </summary>
    public bool MayActFor(BrandOptions brand, HttpRequest request) =>
        request.Headers.Origin is not [{ } origin] || !_listedByAnyBrand.Contains(origin) || _byBrand[brand].Contains(origin);
}

public static class BrowserOriginsHosting
{
    public static WebApplicationBuilder AddSessionsBrowserOrigins(this WebApplicationBuilder builder)
    {
        builder.Services.AddSingleton<BrowserOrigins>();
        builder.Services.AddCors();
        builder.Services.AddOptions<CorsOptions>().Configure<BrowserOrigins>((cors, origins) => cors.AddPolicy(BrowserOrigins.Policy, policy => policy
            .SetIsOriginAllowed(origins.IsListedByAnyBrand)
            .WithMethods(HttpMethods.Post, HttpMethods.Delete)
            .WithHeaders(HeaderNames.ContentType, "DPoP")
            .WithExposedHeaders("DPoP-Nonce", HeaderNames.RetryAfter)
            // A browser keeps the permission this long; an origin removed from every brand is refused once it lapses.
            .SetPreflightMaxAge(TimeSpan.FromMinutes(10))));
        return builder;
    }

    /// <summary>
    /// The CORS middleware, where a brand lists a website: left out otherwise, so that it costs nothing per request (it
    /// marks every request it sees, Origin or not).
    /// </summary>
    public static WebApplication UseSessionsBrowserOrigins(this WebApplication app)
    {
        if (app.Services.GetRequiredService<BrowserOrigins>().AnyListed)
        {
            app.UseCors();
        }
        return app;
    }

    /// <summary>The group's endpoints answer the preflights of the brands' websites, where a brand lists one.</summary>
    public static RouteGroupBuilder OpenToBrandWebsites(this RouteGroupBuilder group) =>
        ((IEndpointRouteBuilder)group).ServiceProvider.GetRequiredService<BrowserOrigins>().AnyListed ? group.RequireCors(BrowserOrigins.Policy) : group;
}
