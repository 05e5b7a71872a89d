using Microsoft.Extensions.Options;
using Sessions.Api.Security;

namespace Sessions.Api.Admin;

/// <summary>
/// Wraps every <c>/admin/v1</c> call: the bearer key checked against every configured key (constant time, no early
/// exit), then what the key may do (its brands; a read-only key only reads), and each call that passed the key check
/// audited once, by the key's id, the endpoint, its target and its status (403 included).
/// </summary>
internal sealed class AdminAuthentication(IOptions<AdminOptions> options, AuthAudit audit) : IEndpointFilter
{
    private static readonly object CallerItem = new();

    private readonly (AdminCaller Caller, byte[] Digest)[] _keys = [.. options.Value.ApiKeys.Select(k => (AdminCaller.Of(k), k.Digest()!))];

    public async ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        var http = context.HttpContext;
        // Customer ids, families and masked identifiers: nothing a shared cache may keep.
        http.Response.Headers.CacheControl = "no-store";
        if (Secrets.ReadBearer(http.Request) is not { } presented || Match(presented) is not { } caller)
        {
            http.Response.Headers.WWWAuthenticate = "Bearer";
            return AdminProblems.Unauthorized();
        }

        var values = http.Request.RouteValues;
        var brand = values["brand"] as string ?? "";
        http.Items[CallerItem] = caller;
        var result = !caller.Serves(brand) ? AdminProblems.Forbidden($"The admin key '{caller.KeyId}' is not for brand {brand}.")
            : caller.ReadOnly && !HttpMethods.IsGet(http.Request.Method) ? AdminProblems.Forbidden($"The admin key '{caller.KeyId}' may only read.")
            : await next(context);
        audit.AdminAction(caller.KeyId, http.GetEndpoint()?.Metadata.GetMetadata<IEndpointNameMetadata>()?.EndpointName ?? "admin", brand, Target(values),
            (result as IStatusCodeHttpResult)?.StatusCode ?? StatusCodes.Status200OK, http.Connection.RemoteIpAddress);
        return result;
    }

    /// <summary>The key that authorised this admin call, for what the call records (its id, never the key).</summary>
    public static AdminCaller CallerOf(HttpContext http) => (AdminCaller)http.Items[CallerItem]!;

    private AdminCaller? Match(string presented)
    {
        AdminCaller? match = null;
        foreach (var (caller, digest) in _keys)
        {
            if (Secrets.Matches(presented, digest))
            {
                match = caller;
            }
        }
        return match;
    }

    /// <summary>The customer (and family) acted on; an identifier looked up is only named by its type.</summary>
    private static string Target(RouteValueDictionary values) =>
        values["customerId"] is string customer ? $"customer {customer}{(values["familyId"] is string family ? $" family {family}" : "")}"
        : values["identifierType"] is string type ? $"{type} identifier"
        : "";
}

/// <summary>What an admin key may do: <see cref="Brands"/> null serves every brand.</summary>
internal sealed record AdminCaller(string KeyId, IReadOnlySet<string>? Brands, bool ReadOnly)
{
    public static AdminCaller Of(AdminApiKey key) =>
        new(key.Id, key.Brands.Count == 0 ? null : key.Brands.Select(b => b.ToUpperInvariant()).ToHashSet(StringComparer.Ordinal), key.ReadOnly);

    /// <summary>Whether the key serves <paramref name="brand"/> (any letter case); a route with no brand is served.</summary>
    public bool Serves(string brand) => Brands is null || brand.Length == 0 || Brands.Contains(brand.ToUpperInvariant());
}

/// <summary>RFC 7807 answers of the admin API.</summary>
internal static class AdminProblems
{
    public static IResult Unauthorized() => Results.Problem(statusCode: StatusCodes.Status401Unauthorized, title: "A valid admin API key is required.");

    public static IResult Forbidden(string detail) => Results.Problem(statusCode: StatusCodes.Status403Forbidden, title: "The admin key may not do this.", detail: detail);

    public static IResult NotFound(string detail) => Results.Problem(statusCode: StatusCodes.Status404NotFound, title: "Not found.", detail: detail);

    public static IResult BadRequest(string detail) => Results.Problem(statusCode: StatusCodes.Status400BadRequest, title: "Invalid request.", detail: detail);
}
