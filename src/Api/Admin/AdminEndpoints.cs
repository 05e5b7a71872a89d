using System.Text.Json.Nodes;
using Microsoft.Extensions.Options;
using Sessions.Api.Security;
using Sessions.Grains.Configuration;
using Sessions.Grains.Contracts;
using Sessions.Grains.Identity;

namespace Sessions.Api.Admin;

/// <summary>
/// <c>/admin/v1</c> (API.md §4.6) for support tools: find a customer by identifier, list their live device sessions
/// and families, revoke one family or all of them. Mapped only when <c>Sessions:Admin:ApiKeys</c> lists a key.
/// Listing reads the customer's own list of device sessions, never the store.
/// </summary>
public static class AdminEndpoints
{
    public static WebApplication MapSessionsAdmin(this WebApplication app)
    {
        if (app.Services.GetRequiredService<IOptions<AdminOptions>>().Value.ApiKeys.Count == 0)
        {
            return app;
        }

        var group = app.MapGroup("/admin/v1/brands/{brand}").WithTags("Administration").AddEndpointFilter<AdminAuthentication>()
            .RequireRateLimiting(RateLimiting.AuthPolicy);
        group.MapGet("/identifiers/{identifierType}/{identifierValue}", FindCustomerAsync).WithName("AdminFindCustomer");
        group.MapGet("/customers/{customerId}/sessions", ListSessionsAsync).WithName("AdminListSessions");
        group.MapDelete("/customers/{customerId}/sessions", RevokeAllAsync).WithName("AdminRevokeAll");
        group.MapDelete("/customers/{customerId}/sessions/{familyId}", RevokeOneAsync).WithName("AdminRevokeFamily");
        return app;
    }

    public static async Task<IResult> FindCustomerAsync(string brand, string identifierType, string identifierValue, HttpContext context,
        IOptions<SessionsOptions> options, IGrainFactory grains, AuthAudit audit)
    {
        if (ParseIdentifier(brand, identifierType, identifierValue, options.Value) is not { } identifier)
        {
            return AdminProblems.BadRequest("identifierType or identifierValue is not valid for the brand.");
        }
        var customerId = await grains.GetGrain<IIdentifierGrain>(GrainKeys.Identifier(identifier)).GetCustomerIdAsync();
        audit.AdminAction(KeyId(context), "find-customer", identifier.Brand, AuthAudit.Mask(identifier));
        return customerId is null
            ? AdminProblems.NotFound("No customer holds this identifier.")
            : Json(new JsonObject { ["customerId"] = customerId });
    }

    public static async Task<IResult> ListSessionsAsync(string brand, string customerId, HttpContext context,
        IOptions<SessionsOptions> options, IGrainFactory grains, AuthAudit audit)
    {
        if (Brand(brand, options.Value) is not { } brandName)
        {
            return AdminProblems.NotFound("The brand is not configured.");
        }
        var keys = await Customer(grains, brandName, customerId).GetDeviceSessionsAsync();
        var listed = await Task.WhenAll(keys.Select(async key => (Key: key, Families: await grains.GetGrain<IDeviceSessionGrain>(key).LiveFamiliesAsync(customerId))));
        var sessions = new JsonArray();
        foreach (var (key, families) in listed.Where(l => l.Families.Count > 0))
        {
            var (identifier, deviceId) = GrainKeys.ParseDeviceSession(key);
            sessions.Add(new JsonObject
            {
                ["identifierType"] = identifier.Type.ToString(),
                ["identifierValue"] = AuthAudit.Mask(identifier),
                ["deviceId"] = deviceId.Length == 0 ? null : deviceId,
                ["families"] = new JsonArray([.. families.Select(f => (JsonNode)new JsonObject
                {
                    ["familyId"] = f.FamilyId,
                    ["flow"] = f.Channel == Channel.Web ? "WEB" : f.Flow == SessionFlow.Mfa ? "MFA" : "PRIMARY",
                    ["createdAt"] = f.CreatedAt,
                    ["lastUsedAt"] = f.LastUsedAt,
                    ["expiresAt"] = f.ExpiresAt,
                })]),
            });
        }
        audit.AdminAction(KeyId(context), "list-sessions", brandName, customerId);
        return Json(new JsonObject { ["sessions"] = sessions });
    }

    public static async Task<IResult> RevokeAllAsync(string brand, string customerId, HttpContext context,
        IOptions<SessionsOptions> options, IGrainFactory grains, AuthAudit audit)
    {
        if (Brand(brand, options.Value) is not { } brandName)
        {
            return AdminProblems.NotFound("The brand is not configured.");
        }
        var customer = Customer(grains, brandName, customerId);
        var keys = await customer.GetDeviceSessionsAsync();
        var revoked = await Task.WhenAll(keys.Select(key =>
            grains.GetGrain<IDeviceSessionGrain>(key).RevokeFamiliesAsync(customerId, mfaOnly: false, exceptFamilyId: null, "revoked by an administrator")));
        await customer.ForgetDeviceSessionsAsync(keys, long.MaxValue);
        audit.AdminAction(KeyId(context), "revoke-all", brandName, customerId);
        return Json(new JsonObject { ["revoked"] = revoked.Sum() });
    }

    public static async Task<IResult> RevokeOneAsync(string brand, string customerId, string familyId, HttpContext context,
        IOptions<SessionsOptions> options, IGrainFactory grains, AuthAudit audit)
    {
        if (Brand(brand, options.Value) is not { } brandName)
        {
            return AdminProblems.NotFound("The brand is not configured.");
        }
        foreach (var key in await Customer(grains, brandName, customerId).GetDeviceSessionsAsync())
        {
            if (await grains.GetGrain<IDeviceSessionGrain>(key).RevokeFamilyAsync(customerId, familyId, "revoked by an administrator"))
            {
                audit.AdminAction(KeyId(context), "revoke-family", brandName, customerId);
                return Results.NoContent();
            }
        }
        return AdminProblems.NotFound("The customer has no such live family.");
    }

    private static string? Brand(string brand, SessionsOptions options) => options.FindBrand(brand) is null ? null : brand.ToUpperInvariant();

    private static Identifier? ParseIdentifier(string brand, string type, string value, SessionsOptions options) =>
        Brand(brand, options) is { } brandName && IdentifierRules.TryParseType(type, out var parsed)
        && IdentifierRules.NormalizeValue(parsed, value, out _) is { } normalized
            ? new Identifier(brandName, parsed, normalized)
            : null;

    private static ICustomerGrain Customer(IGrainFactory grains, string brand, string customerId) =>
        grains.GetGrain<ICustomerGrain>(GrainKeys.Customer(brand, customerId));

    private static string KeyId(HttpContext context) => context.Items[AdminAuthentication.KeyIdItem] as string ?? "?";

    private static IResult Json(JsonObject body)
    {
        return Results.Text(body.ToJsonString(), "application/json");
    }
}
