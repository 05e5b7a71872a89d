using System.Text.Json.Nodes;
using Microsoft.Extensions.Options;
using Sessions.Api.Endpoints;
using Sessions.Api.Envelope;
using Sessions.Api.Security;
using Sessions.Grains.Configuration;
using Sessions.Grains.Contracts;
using Sessions.Grains.Identity;

namespace Sessions.Api.Admin;

/// <summary>
/// <c>/admin/v1</c> (API.md §4.6) for support tools: find a customer by identifier, list their live device sessions
/// and families, revoke one family or all of them; beyond the contract, the history, an identifier's limits and lifting
/// its lock, describing and erasing a customer, what the presented key may do, and the store sweep (<see cref="AdminStoreEndpoints"/>). Mapped only when
/// <c>Sessions:Admin:ApiKeys</c> lists a key.
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

        var admin = app.MapGroup("/admin/v1").WithTags("Administration").AddEndpointFilter<AdminAuthentication>()
            .RequireRateLimiting(RateLimiting.AuthPolicy);
        admin.MapGet("/key", DescribeKey).WithName("AdminDescribeKey");
        admin.MapStoreSweep();
        var group = admin.MapGroup("/brands/{brand}");
        group.MapGet("/identifiers/{identifierType}/{identifierValue}", FindCustomerAsync).WithName("AdminFindCustomer");
        group.MapGet("/identifiers/{identifierType}/{identifierValue}/limits", GetLimitsAsync).WithName("AdminGetIdentifierLimits");
        group.MapDelete("/identifiers/{identifierType}/{identifierValue}/lock", LiftLockAsync).WithName("AdminLiftLock");
        group.MapGet("/customers/{customerId}/sessions", ListSessionsAsync).WithName("AdminListSessions");
        group.MapDelete("/customers/{customerId}/sessions", RevokeAllAsync).WithName("AdminRevokeAll");
        group.MapDelete("/customers/{customerId}/sessions/{familyId}", RevokeOneAsync).WithName("AdminRevokeFamily");
        group.MapGet("/customers/{customerId}/events", ListEventsAsync).WithName("AdminListEvents");
        group.MapGet("/customers/{customerId}", DescribeCustomerAsync).WithName("AdminDescribeCustomer");
        group.MapDelete("/customers/{customerId}", EraseCustomerAsync).WithName("AdminEraseCustomer");
        return app;
    }

    /// <summary>What the presented key may do, so that a support tool can say so before the agent tries.</summary>
    public static IResult DescribeKey(HttpContext http)
    {
        var caller = AdminAuthentication.CallerOf(http);
        return PlainJson.Result(new JsonObject
        {
            ["id"] = caller.KeyId,
            ["brands"] = caller.Brands is null ? null : new JsonArray([.. caller.Brands.Order(StringComparer.Ordinal).Select(b => (JsonNode)b)]),
            ["readOnly"] = caller.ReadOnly,
        });
    }

    public static async Task<IResult> FindCustomerAsync(string brand, string identifierType, string identifierValue,
        IOptions<SessionsOptions> options, IGrainFactory grains)
    {
        if (ParseIdentifier(brand, identifierType, identifierValue, options.Value) is not { } identifier)
        {
            return InvalidIdentifier();
        }
        var customerId = await grains.GetGrain<IIdentifierGrain>(GrainKeys.Identifier(identifier)).GetCustomerIdAsync();
        return customerId is null
            ? AdminProblems.NotFound("No customer holds this identifier.")
            : PlainJson.Result(new JsonObject { ["customerId"] = customerId });
    }

    /// <summary>
    /// Where the identifier stands against its limits (API.md §7), whether or not a customer holds it: why "I can't log
    /// in" or "no code arrives" has an answer.
    /// </summary>
    public static async Task<IResult> GetLimitsAsync(string brand, string identifierType, string identifierValue, IOptions<SessionsOptions> options, IGrainFactory grains)
    {
        if (ParseIdentifier(brand, identifierType, identifierValue, options.Value) is not { } identifier)
        {
            return InvalidIdentifier();
        }
        var rules = options.Value.GetBrand(identifier.Brand);
        var limits = await grains.GetGrain<IIdentifierGrain>(GrainKeys.Identifier(identifier)).GetLimitsAsync();
        return PlainJson.Result(new JsonObject
        {
            ["locked"] = limits.LockedUntil is not null,
            ["lockedUntil"] = limits.LockedUntil,
            ["recentFailures"] = limits.RecentFailures,
            ["checksInFlight"] = limits.ChecksInFlight,
            ["maxFailures"] = rules.Lockout.MaxFailures,
            ["failureWindowMinutes"] = rules.Lockout.WindowMinutes,
            ["otpSends"] = limits.OtpSends,
            ["maxOtpSends"] = rules.Otp.MaxSends,
            ["sendWindowMinutes"] = rules.Otp.SendWindowMinutes,
            ["nextOtpSendAt"] = limits.NextOtpSendAt,
        });
    }

    /// <summary>
    /// Lifts the identifier's lock and forgets the failures towards the next one; the OTP send window stays, as it
    /// guards the brand's messaging bill and ends by itself. Idempotent: a second lift finds nothing and says so.
    /// </summary>
    public static async Task<IResult> LiftLockAsync(string brand, string identifierType, string identifierValue, HttpContext http,
        IOptions<SessionsOptions> options, IGrainFactory grains)
    {
        if (ParseIdentifier(brand, identifierType, identifierValue, options.Value) is not { } identifier)
        {
            return InvalidIdentifier();
        }
        var lifted = await grains.GetGrain<IIdentifierGrain>(GrainKeys.Identifier(identifier)).LiftLockAsync(AdminAuthentication.CallerOf(http).KeyId);
        return PlainJson.Result(new JsonObject
        {
            ["lifted"] = lifted.WasLockedUntil is not null,
            ["lockedUntil"] = lifted.WasLockedUntil,
            ["failuresCleared"] = lifted.FailuresCleared,
        });
    }

    public static async Task<IResult> ListSessionsAsync(string brand, string customerId, IOptions<SessionsOptions> options, CustomerSessions customers)
    {
        if (Brand(brand, options.Value) is not { } brandName)
        {
            return UnknownBrand();
        }
        var sessions = new JsonArray();
        foreach (var session in await customers.ListAsync(brandName, customerId))
        {
            var (identifier, deviceId) = session.Names;
            sessions.Add(new JsonObject
            {
                ["identifierType"] = identifier.Type.ToString(),
                ["identifierValue"] = AuthAudit.Mask(identifier),
                ["deviceId"] = deviceId.Length == 0 ? null : deviceId,
                ["families"] = new JsonArray([.. session.Families.Select(f => (JsonNode)new JsonObject
                {
                    ["familyId"] = f.FamilyId,
                    ["flow"] = CustomerSessions.FlowName(f),
                    ["createdAt"] = f.CreatedAt,
                    ["lastUsedAt"] = f.LastUsedAt,
                    ["expiresAt"] = f.ExpiresAt,
                    ["deviceBound"] = f.DeviceBound,
                })]),
            });
        }
        return PlainJson.Result(new JsonObject { ["sessions"] = sessions });
    }

    /// <summary>The customer's security history, newest first (API.md §4.6): why each session started and ended.</summary>
    public static async Task<IResult> ListEventsAsync(string brand, string customerId, IOptions<SessionsOptions> options, IGrainFactory grains)
    {
        if (Brand(brand, options.Value) is not { } brandName)
        {
            return UnknownBrand();
        }
        var history = await grains.GetGrain<ICustomerHistoryGrain>(GrainKeys.Customer(brandName, customerId)).ListAsync();
        return PlainJson.Result(new JsonObject
        {
            ["events"] = new JsonArray([.. history.Select(e => (JsonNode)new JsonObject
            {
                ["kind"] = SecurityEventKinds.Name(e.Kind),
                ["at"] = e.At,
                ["identifier"] = e.Identifier,
                ["device"] = e.Device,
                ["flow"] = e.Flow,
                ["familyId"] = e.FamilyId,
                ["factor"] = e.Factor,
                ["reason"] = e.Reason,
                ["detail"] = e.Detail,
                ["count"] = e.Count,
            })]),
        });
    }

    public static async Task<IResult> RevokeAllAsync(string brand, string customerId, IOptions<SessionsOptions> options, CustomerSessions customers)
    {
        if (Brand(brand, options.Value) is not { } brandName)
        {
            return UnknownBrand();
        }
        var signedOut = await customers.RevokeAllAsync(brandName, customerId, Reason);
        return PlainJson.Result(new JsonObject { ["revoked"] = signedOut.Revoked });
    }

    public static async Task<IResult> RevokeOneAsync(string brand, string customerId, string familyId, IOptions<SessionsOptions> options, CustomerSessions customers)
    {
        if (Brand(brand, options.Value) is not { } brandName)
        {
            return UnknownBrand();
        }
        return (await customers.RevokeAsync(brandName, customerId, familyId, Reason)).Succeeded
            ? Results.NoContent()
            : AdminProblems.NotFound("The customer has no such live family.");
    }

    /// <summary>
    /// What the customer set up and when they last logged in, with their identifiers masked: "I can't log in with my
    /// password" has an answer when they never set one.
    /// </summary>
    public static async Task<IResult> DescribeCustomerAsync(string brand, string customerId, IOptions<SessionsOptions> options, IGrainFactory grains)
    {
        if (Brand(brand, options.Value) is not { } brandName)
        {
            return UnknownBrand();
        }
        if (await grains.GetGrain<ICustomerGrain>(GrainKeys.Customer(brandName, customerId)).DescribeAsync() is not { } customer)
        {
            return AdminProblems.NotFound("No such customer.");
        }
        return PlainJson.Result(new JsonObject
        {
            ["customerId"] = customerId,
            ["hasPassword"] = customer.Profile.HasPassword,
            ["hasMfaPassword"] = customer.Profile.HasMfaPassword,
            ["mfaCompleted"] = customer.Profile.MfaCompleted,
            ["identifiers"] = new JsonArray([.. customer.Identifiers.Select(GrainKeys.ParseIdentifier).Select(identifier => (JsonNode)new JsonObject
            {
                ["identifierType"] = identifier.Type.ToString(),
                ["identifierValue"] = AuthAudit.Mask(identifier),
            })]),
            ["deviceSessions"] = customer.DeviceSessions,
            ["lastLoginAt"] = customer.LastLoginAt,
            ["erasedAt"] = customer.ErasedAt,
        });
    }

    /// <summary>
    /// Erases the customer, for a customer who asked the brand to delete their account (<see cref="ICustomerErasureGrain"/>).
    /// Idempotent: a retry finishes an erasure that failed part-way, and answers the same time of erasure.
    /// </summary>
    public static async Task<IResult> EraseCustomerAsync(string brand, string customerId, HttpContext http, IOptions<SessionsOptions> options, IGrainFactory grains)
    {
        if (Brand(brand, options.Value) is not { } brandName)
        {
            return UnknownBrand();
        }
        var erased = await grains.GetGrain<ICustomerErasureGrain>(GrainKeys.Customer(brandName, customerId))
            .EraseAsync(AdminAuthentication.CallerOf(http).KeyId);
        return !erased.Found
            ? AdminProblems.NotFound("No such customer.")
            : PlainJson.Result(new JsonObject
            {
                ["erased"] = true,
                ["erasedAt"] = erased.ErasedAt,
                ["revoked"] = erased.Revoked,
                ["identifiersReleased"] = erased.IdentifiersReleased,
            });
    }

    private const string Reason = RevocationReasons.Administrator;

    private static IResult UnknownBrand() => AdminProblems.NotFound("The brand is not configured.");

    private static IResult InvalidIdentifier() => AdminProblems.BadRequest("identifierType or identifierValue is not valid for the brand.");

    private static string? Brand(string brand, SessionsOptions options) => options.FindBrand(brand) is null ? null : brand.ToUpperInvariant();

    private static Identifier? ParseIdentifier(string brand, string type, string value, SessionsOptions options) =>
        Brand(brand, options) is { } brandName && IdentifierRules.TryParseType(type, out var parsed)
        && IdentifierRules.NormalizeValue(parsed, value, out _) is { } normalized
            ? new Identifier(brandName, parsed, normalized)
            : null;
}
