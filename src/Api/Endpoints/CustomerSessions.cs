using Sessions.Grains.Contracts;
using Sessions.Grains.Identity;

namespace Sessions.Api.Endpoints;

/// <summary>
/// A customer's live sessions on every device session the customer lists: for support staff (the admin API) and for
/// the customer (signed-in devices), to list them and to revoke one family, every family, or all but a login chain.
/// Revocations are made by the customer's <see cref="ICustomerSignOutsGrain"/>, one at a time.
/// </summary>
public sealed class CustomerSessions(IGrainFactory grains, DeviceSessionReferences deviceSessions)
{
    /// <summary>
    /// The customer's device sessions that hold a live family of theirs, with those families. A device session the caller
    /// has just asked (<paramref name="known"/>) is listed as it answered, not asked again.
    /// </summary>
    public async Task<IReadOnlyList<CustomerSession>> ListAsync(string brand, string customerId, CustomerSession? known = null)
    {
        var keys = (await Customer(brand, customerId).ListDeviceSessionsAsync()).Keys;
        var listed = await Task.WhenAll(keys.Select(async key => key == known?.DeviceSessionKey
            ? known
            : new CustomerSession(key, await deviceSessions.Get(key).LiveFamiliesAsync(customerId))));
        return [.. listed.Where(session => session.Families.Count > 0)];
    }

    /// <summary>The device session a token names, with the customer's live families on it, asked of that device session itself.</summary>
    public async Task<CustomerSession> SessionOfAsync(FamilyReference token) =>
        new(token.DeviceSessionKey, await deviceSessions.Get(token.DeviceSessionKey).LiveFamiliesAsync(token.CustomerId));

    /// <summary>
    /// Revokes one live family of the customer (<see cref="AuthError.InvalidDetails"/> when there is none by that id). With
    /// a <paramref name="caller"/>, the customer's own login, as <see cref="ICustomerSignOutsGrain.RevokeFamilyAsync"/> says.
    /// </summary>
    public Task<SignOutOutcome> RevokeAsync(string brand, string customerId, string familyId, string reason, FamilyReference? caller = null) =>
        SignOuts(brand, customerId).RevokeFamilyAsync(familyId, reason, caller);

    /// <summary>
    /// Revokes every live family of the customer; with a <paramref name="caller"/>, all but its login chain, as
    /// <see cref="ICustomerSignOutsGrain.RevokeAllAsync"/> says.
    /// </summary>
    public Task<SignOutOutcome> RevokeAllAsync(string brand, string customerId, string reason, FamilyReference? caller = null) =>
        SignOuts(brand, customerId).RevokeAllAsync(reason, caller);

    private ICustomerGrain Customer(string brand, string customerId) => grains.GetGrain<ICustomerGrain>(GrainKeys.Customer(brand, customerId));

    private ICustomerSignOutsGrain SignOuts(string brand, string customerId) => grains.GetGrain<ICustomerSignOutsGrain>(GrainKeys.Customer(brand, customerId));

    /// <summary>The flow a family is listed under: <c>PRIMARY</c>, <c>MFA</c> or <c>WEB</c>.</summary>
    public static string FlowName(FamilySummary family) =>
        family.Channel == Channel.Web ? "WEB" : family.Flow == SessionFlow.Mfa ? "MFA" : "PRIMARY";
}

/// <summary>One device session of a customer and the customer's live families on it.</summary>
public sealed record CustomerSession(string DeviceSessionKey, IReadOnlyList<FamilySummary> Families)
{
    /// <summary>The identifier and device id (empty for the identifier's browsers) the device session is for.</summary>
    public (Identifier Identifier, string DeviceId) Names => GrainKeys.ParseDeviceSession(DeviceSessionKey);
}
