using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Options;

namespace Sessions.Api.Admin;

/// <summary>
/// The bearer check of every <c>/admin/v1</c> request: the presented key's SHA-256 compared in constant time with
/// every configured key's (no early exit), the matching key's id kept for the audit trail.
/// </summary>
internal sealed class AdminAuthentication(IOptions<AdminOptions> options) : IEndpointFilter
{
    public const string KeyIdItem = "sessions.admin-key-id";

    private readonly (string Id, byte[] Digest)[] _keys = [.. options.Value.ApiKeys.Select(k => (k.Id, k.Digest()!))];

    public async ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        var header = context.HttpContext.Request.Headers.Authorization.ToString();
        if (!header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase) || KeyId(header["Bearer ".Length..].Trim()) is not { } keyId)
        {
            context.HttpContext.Response.Headers.WWWAuthenticate = "Bearer";
            return AdminProblems.Unauthorized();
        }
        context.HttpContext.Items[KeyIdItem] = keyId;
        return await next(context);
    }

    private string? KeyId(string presented)
    {
        var digest = SHA256.HashData(Encoding.UTF8.GetBytes(presented));
        string? match = null;
        foreach (var (id, expected) in _keys)
        {
            if (CryptographicOperations.FixedTimeEquals(digest, expected))
            {
                match = id;
            }
        }
        return match;
    }
}

/// <summary>RFC 7807 answers of the admin API.</summary>
internal static class AdminProblems
{
    public static IResult Unauthorized() => Results.Problem(statusCode: StatusCodes.Status401Unauthorized, title: "A valid admin API key is required.");

    public static IResult NotFound(string detail) => Results.Problem(statusCode: StatusCodes.Status404NotFound, title: "Not found.", detail: detail);

    public static IResult BadRequest(string detail) => Results.Problem(statusCode: StatusCodes.Status400BadRequest, title: "Invalid request.", detail: detail);
}
