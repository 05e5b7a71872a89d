using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Extensions.Options;
using Sessions.Api.Envelope;
using Sessions.Api.Requests;
using Sessions.Api.Security;
using Sessions.Api.Tokens;
using Sessions.Grains.Configuration;
using Sessions.Grains.Identity;

namespace Sessions.Api.Endpoints;

/// <summary>
/// <c>POST /auth/v1/token/introspect</c> (RFC 7662, API.md §4.5): a gateway asks whether a USER token is active,
/// which includes whether its family still lives, so a logout, a password change, reuse detection or a revocation
/// shows at once. One read-only grain call, answered from memory by an active device session.
/// </summary>
public static class IntrospectionEndpoints
{
    public static RouteHandlerBuilder MapIntrospection(this IEndpointRouteBuilder routes) =>
        routes.MapPost("/auth/v1/token/introspect", IntrospectAsync).WithName("IntrospectToken").WithTags("Resource servers")
            .RequireRateLimiting(RateLimiting.AuthPolicy)
            .WithSummary("RFC 7662 introspection of a USER token, with the brand's client credentials (HTTP Basic)")
            .Accepts<IntrospectionForm>("application/x-www-form-urlencoded", "application/json")
            .Produces(StatusCodes.Status200OK, contentType: "application/json")
            .Produces(StatusCodes.Status401Unauthorized);

    public static async Task<IResult> IntrospectAsync(HttpContext context, IOptions<SessionsOptions> options, TokenVerifier verifier, DeviceSessionReferences deviceSessions)
    {
        context.Response.Headers.CacheControl = "no-store";
        if (Authenticate(context.Request, options.Value) is not { } brand)
        {
            context.Response.Headers.WWWAuthenticate = "Basic realm=\"introspection\"";
            return PlainJson.Result(new JsonObject { ["error"] = "invalid_client" }, StatusCodes.Status401Unauthorized);
        }
        if (await ReadTokenAsync(context) is not { } compact)
        {
            return PlainJson.Result(new JsonObject { ["error"] = "invalid_request" }, StatusCodes.Status400BadRequest);
        }

        if (verifier.Introspect(compact, brand) is not { } token
            || !await deviceSessions.Get(GrainKeys.DeviceSession(token.Identifier, token.Device)).IsFamilyActiveAsync(token.FamilyId))
        {
            return PlainJson.Result(new JsonObject { ["active"] = false });
        }
        var answer = new JsonObject
        {
            ["active"] = true,
            ["sub"] = token.CustomerId,
            ["sid"] = token.FamilyId,
            ["rol"] = token.Role,
            ["org"] = token.Brand,
            ["dev"] = token.Device == DeviceRequest.NoDevice ? null : token.Device,
            ["idv"] = new JsonArray(token.Identifier.ToIdv()),
            ["iat"] = token.IssuedAt,
            ["exp"] = token.ExpiresAt,
            ["jti"] = token.TokenId,
            ["token_type"] = "access_token",
        };
        if (token.DeviceKeyThumbprint is { } thumbprint)
        {
            // A device-bound token (API.md §4.7): the resource server checks a DPoP proof by this key (RFC 9449 §7).
            answer["cnf"] = new JsonObject { ["jkt"] = thumbprint };
            answer["token_type"] = "DPoP";
        }
        return PlainJson.Result(answer);
    }

    /// <summary>The brand whose client credentials the request carries, compared in constant time; null otherwise.</summary>
    private static string? Authenticate(HttpRequest request, SessionsOptions options) =>
        Secrets.TryReadBasic(request, out var brand, out var password)
        && options.FindBrand(brand) is { IntrospectionSecret: { } secret }
        && Secrets.Matches(password, Secrets.Digest(secret))
            ? brand.ToUpperInvariant()
            : null;

    /// <summary>The <c>token</c> of a form (RFC 7662) or JSON body of at most 16 KiB; null when there is none.</summary>
    private static async Task<string?> ReadTokenAsync(HttpContext context)
    {
        if (await AuthRequest.ReadBoundedAsync(context.Request.Body, context.RequestAborted) is not { } body)
        {
            return null;
        }

        var mediaType = context.Request.ContentType?.Split(';')[0].Trim();
        if (string.Equals(mediaType, "application/x-www-form-urlencoded", StringComparison.OrdinalIgnoreCase))
        {
            var form = QueryHelpers.ParseQuery(Encoding.UTF8.GetString(body));
            return form.TryGetValue("token", out var values) && values is [{ Length: > 0 and <= FieldReader.MaxTokenLength } token] ? token : null;
        }
        if (string.Equals(mediaType, "application/json", StringComparison.OrdinalIgnoreCase))
        {
            try
            {
                using var document = JsonDocument.Parse(body);
                return document.RootElement is { ValueKind: JsonValueKind.Object } root
                    && root.TryGetProperty("token", out var token) && token.ValueKind == JsonValueKind.String
                    && token.GetString() is { Length: > 0 and <= FieldReader.MaxTokenLength } value ? value : null;
            }
            catch (Exception e) when (e is JsonException or InvalidOperationException)
            {
                // Not JSON, or a string that is not text (invalid UTF-8, a lone surrogate escape): no token.
                return null;
            }
        }
        return null;
    }

    /// <summary>The form of an introspection request, for the OpenAPI document.</summary>
    public sealed record IntrospectionForm(string Token);
}
