using System.Globalization;
using System.Text.Json.Nodes;
using Sessions.Api.Envelope;
using Sessions.Grains.Contracts;

namespace Sessions.Api.Admin;

/// <summary>
/// <c>/admin/v1/store/sweep</c>, beyond the contract, for operators: how the store sweep (README, *Store sweep*) last
/// went, and a sweep started now rather than at its hour (after a flood of guesses, say, or a lower KeyIdleDays). The
/// store holds every brand, so only a key for every brand may look or start one.
/// </summary>
public static class AdminStoreEndpoints
{
    public static RouteGroupBuilder MapStoreSweep(this RouteGroupBuilder admin)
    {
        admin.MapGet("/store/sweep", DescribeAsync).WithName("AdminDescribeStoreSweep");
        admin.MapPost("/store/sweep", StartAsync).WithName("AdminStartStoreSweep");
        return admin;
    }

    public static async Task<IResult> DescribeAsync(HttpContext http, IGrainFactory grains) =>
        RefusedUnlessForEveryBrand(http) ?? PlainJson.Result(Describe(await Sweep(grains).GetStatusAsync()));

    /// <summary>202: the sweep runs on in the cluster; <c>GET</c> tells when it is done.</summary>
    public static async Task<IResult> StartAsync(HttpContext http, IGrainFactory grains) =>
        RefusedUnlessForEveryBrand(http) ?? PlainJson.Result(Describe(await Sweep(grains).StartAsync()), StatusCodes.Status202Accepted);

    private static IStoreSweepGrain Sweep(IGrainFactory grains) => grains.GetGrain<IStoreSweepGrain>(IStoreSweepGrain.Key);

    private static IResult? RefusedUnlessForEveryBrand(HttpContext http) =>
        AdminAuthentication.CallerOf(http) is { Brands: not null } caller
            ? AdminProblems.Forbidden($"The admin key '{caller.KeyId}' is not for every brand, and the store holds them all.")
            : null;

    private static JsonObject Describe(StoreSweepStatus status) => new()
    {
        ["running"] = status.Running,
        ["everyHours"] = status.Every?.TotalHours,
        ["last"] = status.Last is not { } last ? null : new JsonObject
        {
            ["startedAt"] = last.StartedAt.ToString("O", CultureInfo.InvariantCulture),
            ["seconds"] = Math.Round(last.Took.TotalSeconds, 3),
            ["read"] = last.Read,
            ["tidied"] = last.Tidied,
            ["removed"] = last.Removed,
            ["failed"] = last.Failed,
            ["eventsResumed"] = last.EventsResumed,
        },
    };
}
