using Microsoft.Extensions.Options;
using Sessions.Api.Security;

namespace Sessions.Api.Admin;

/// <summary>
/// Wraps every <c>/admin/v1</c> call: the bearer key checked against every configured key (constant time, no early
/// exit), and each call that passed audited once, by the key's id, the endpoint, its target and its status.
/// </summary>
internal sealed class AdminAuthentication(IOptions<AdminOptions> options, AuthAudit audit) : IEndpointFilter
{
    private static readonly object KeyIdItem = new();

    private readonly (string Id, byte[] Digest)[] _keys = [.. options.Value.ApiKeys.Select(k => (k.Id, k.Digest()!))];

    public async ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        var http = context.HttpContext;
        // Customer ids, families and masked identifiers: nothing a shared cache may keep.
        http.Response.Headers.CacheControl = "no-store";
        if (Secrets.ReadBearer(http.Request) is not { } presented || KeyId(presented) is not { } keyId)
        {
            http.Response.Headers.WWWAuthenticate = "Bearer";
            return AdminProblems.Unauthorized();
        }

        http.Items[KeyIdItem] = keyId;
        var result = await next(context);
        var values = http.Request.RouteValues;
        audit.AdminAction(keyId, http.GetEndpoint()?.Metadata.GetMetadata<IEndpointNameMetadata>()?.EndpointName ?? "admin", values["brand"] as string ?? "", Target(values),
            (result as IStatusCodeHttpResult)?.StatusCode ?? StatusCodes.Status200OK, http.Connection.RemoteIpAddress);
        return result;
    }

    /// <summary>The id of the key that authorised this admin call, for what the call records (never the key).</summary>
    public static string KeyIdOf(HttpContext http) => (string)http.Items[KeyIdItem]!;

    private string? KeyId(string presented)
    {
        string? match = null;
        foreach (var (id, digest) in _keys)
        {
            if (Secrets.Matches(presented, digest))
            {
                match = id;
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

/// <summary>RFC 7807 answers of the admin API.</summary>
internal static class AdminProblems
{
    public static IResult Unauthorized() => Results.Problem(statusCode: StatusCodes.Status401Unauthorized, title: "A valid admin API key is required.");

    public static IResult NotFound(string detail) => Results.Problem(statusCode: StatusCodes.Status404NotFound, title: "Not found.", detail: detail);

    public static IResult BadRequest(string detail) => Results.Problem(statusCode: StatusCodes.Status400BadRequest, title: "Invalid request.", detail: detail);
}
