using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Extensions.Options;
using Sessions.Api.Requests;
using Sessions.Api.Security;
using Sessions.Api.Tokens;
using Sessions.Grains.Configuration;
using Sessions.Grains.Contracts;
using Sessions.Grains.Identity;

namespace Sessions.Api.Endpoints;

/// <summary>
/// <c>POST /auth/v1/token/introspect</c> (RFC 7662, API.md §4.5): a gateway asks whether a USER token is active,
/// which includes whether its family still lives, so a logout, a password change, reuse detection or a revocation
/// shows at once. One read-only grain call, answered from memory by an active device session.
/// </summary>
public static class IntrospectionEndpoints
{
    private const int MaxBodyBytes = AuthRequest.MaxBodyBytes;

    public static RouteHandlerBuilder MapIntrospection(this IEndpointRouteBuilder routes) =>
        routes.MapPost("/auth/v1/token/introspect", IntrospectAsync).WithName("IntrospectToken").WithTags("Resource servers")
            .RequireRateLimiting(RateLimiting.AuthPolicy)
            .WithSummary("RFC 7662 introspection of a USER token, with the brand's client credentials (HTTP Basic)")
            .Accepts<IntrospectionForm>("application/x-www-form-urlencoded", "application/json")
            .Produces(StatusCodes.Status200OK, contentType: "application/json")
            .Produces(StatusCodes.Status401Unauthorized);

    public static async Task<IResult> IntrospectAsync(HttpContext context, IOptions<SessionsOptions> options, TokenVerifier verifier, IGrainFactory grains)
    {
        context.Response.Headers.CacheControl = "no-store";
        if (Authenticate(context.Request, options.Value) is not { } brand)
        {
            context.Response.Headers.WWWAuthenticate = "Basic realm=\"introspection\"";
            return Answer(StatusCodes.Status401Unauthorized, new JsonObject { ["error"] = "invalid_client" });
        }
        if (await ReadTokenAsync(context.Request) is not { } compact)
        {
            return Answer(StatusCodes.Status400BadRequest, new JsonObject { ["error"] = "invalid_request" });
        }

        if (await verifier.IntrospectAsync(compact, brand) is not { } token
            || DeviceSessionKey(token) is not { } deviceSession
            || !await grains.GetGrain<IDeviceSessionGrain>(deviceSession).IsFamilyActiveAsync(token.FamilyId))
        {
            return Answer(StatusCodes.Status200OK, new JsonObject { ["active"] = false });
        }
        return Answer(StatusCodes.Status200OK, new JsonObject
        {
            ["active"] = true,
            ["sub"] = token.CustomerId,
            ["sid"] = token.FamilyId,
            ["rol"] = token.Role,
            ["org"] = token.Brand,
            ["dev"] = token.Device == DeviceRequest.NoDevice ? null : token.Device,
            ["idv"] = new JsonArray(token.Identifier),
            ["iat"] = token.IssuedAt,
            ["exp"] = token.ExpiresAt,
            ["jti"] = token.TokenId,
            ["token_type"] = "access_token",
        });
    }

    /// <summary>The brand whose client credentials the request carries, compared in constant time; null otherwise.</summary>
    private static string? Authenticate(HttpRequest request, SessionsOptions options)
    {
        var header = request.Headers.Authorization.ToString();
        if (!header.StartsWith("Basic ", StringComparison.OrdinalIgnoreCase))
        {
            return null;
        }
        string credentials;
        try
        {
            credentials = Encoding.UTF8.GetString(Convert.FromBase64String(header["Basic ".Length..].Trim()));
        }
        catch (FormatException)
        {
            return null;
        }
        var colon = credentials.IndexOf(':', StringComparison.Ordinal);
        if (colon <= 0 || options.FindBrand(credentials[..colon]) is not { IntrospectionSecret: { } secret })
        {
            return null;
        }
        // Hashing first makes the comparison constant-time in the secret's length too.
        return CryptographicOperations.FixedTimeEquals(SHA256.HashData(Encoding.UTF8.GetBytes(credentials[(colon + 1)..])), SHA256.HashData(Encoding.UTF8.GetBytes(secret)))
            ? credentials[..colon].ToUpperInvariant()
            : null;
    }

    /// <summary>The <c>token</c> of a form (RFC 7662) or JSON body of at most 16 KiB; null when there is none.</summary>
    private static async Task<string?> ReadTokenAsync(HttpRequest request)
    {
        var body = new byte[MaxBodyBytes + 1];
        var length = 0;
        int read;
        while (length <= MaxBodyBytes && (read = await request.Body.ReadAsync(body.AsMemory(length, MaxBodyBytes + 1 - length))) > 0)
        {
            length += read;
        }
        if (length > MaxBodyBytes)
        {
            return null;
        }

        var mediaType = request.ContentType?.Split(';')[0].Trim();
        if (string.Equals(mediaType, "application/x-www-form-urlencoded", StringComparison.OrdinalIgnoreCase))
        {
            var form = QueryHelpers.ParseQuery(Encoding.UTF8.GetString(body, 0, length));
            return form.TryGetValue("token", out var values) && values is [{ Length: > 0 and <= FieldReader.MaxTokenLength } token] ? token : null;
        }
        if (string.Equals(mediaType, "application/json", StringComparison.OrdinalIgnoreCase))
        {
            try
            {
                using var document = JsonDocument.Parse(body.AsMemory(0, length));
                return document.RootElement is { ValueKind: JsonValueKind.Object } root
                    && root.TryGetProperty("token", out var token) && token.ValueKind == JsonValueKind.String
                    && token.GetString() is { Length: > 0 and <= FieldReader.MaxTokenLength } value ? value : null;
            }
            catch (JsonException)
            {
                return null;
            }
        }
        return null;
    }

    /// <summary>The device session a token's header names (brand, <c>idv</c>, <c>dev</c>), where its family lives.</summary>
    private static string? DeviceSessionKey(IntrospectedToken token)
    {
        var separator = token.Identifier.IndexOf('|', StringComparison.Ordinal);
        return separator > 0 && IdentifierRules.TryParseType(token.Identifier[..separator], out var type)
            ? GrainKeys.DeviceSession(new Identifier(token.Brand, type, token.Identifier[(separator + 1)..]), token.Device)
            : null;
    }

    private static IResult Answer(int status, JsonObject body) => Results.Text(body.ToJsonString(), "application/json", Encoding.UTF8, status);

    /// <summary>The form of an introspection request, for the OpenAPI document.</summary>
    public sealed record IntrospectionForm(string Token);
}
