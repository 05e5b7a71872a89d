using Sessions.Grains.Contracts;
using Sessions.Grains.Identity;

namespace Sessions.Api.Endpoints;

/// <summary>
/// A customer's live sessions on every device session the customer lists: for support staff (the admin API) and for
/// the customer (signed-in devices), to list them and to revoke one family, every family, or all but a login chain.
/// </summary>
public sealed class CustomerSessions(IGrainFactory grains, DeviceSessionReferences deviceSessions)
{
    /// <summary>The customer's device sessions that hold a live family of theirs, with those families.</summary>
    public async Task<IReadOnlyList<CustomerSession>> ListAsync(string brand, string customerId)
    {
        var keys = (await Customer(brand, customerId).ListDeviceSessionsAsync()).Keys;
        var listed = await Task.WhenAll(keys.Select(async key => new CustomerSession(key, await deviceSessions.Get(key).LiveFamiliesAsync(customerId))));
        return [.. listed.Where(session => session.Families.Count > 0)];
    }

    /// <summary>The customer's live families on the device session a token names, asked of that device session itself.</summary>
    public Task<IReadOnlyList<FamilySummary>> LiveFamiliesAsync(FamilyReference token) =>
        deviceSessions.Get(token.DeviceSessionKey).LiveFamiliesAsync(token.CustomerId);

    /// <summary>Revokes the family a token names, on the device session the token is for (a logout); false when it no longer lives.</summary>
    public Task<bool> RevokeAsync(FamilyReference token, string reason) =>
        deviceSessions.Get(token.DeviceSessionKey).RevokeFamilyAsync(token.CustomerId, token.FamilyId, reason);

    /// <summary>Revokes one live family of the customer; false when the customer has no such live family.</summary>
    public async Task<bool> RevokeAsync(string brand, string customerId, string familyId, string reason)
    {
        // Asked of every device session at once: only the one that holds the family revokes it.
        var keys = (await Customer(brand, customerId).ListDeviceSessionsAsync()).Keys;
        var revoked = await Task.WhenAll(keys.Select(key => deviceSessions.Get(key).RevokeFamilyAsync(customerId, familyId, reason)));
        return revoked.Contains(true);
    }

    /// <summary>
    /// The number of live families revoked: all of the customer's, but the login chain <paramref name="keep"/> (families
    /// named there, and those they authorised). Each device session takes itself off the customer's list once it
    /// holds nothing of theirs; one where a login completed meanwhile stays listed, so the next revocation reaches it.
    /// </summary>
    public async Task<int> RevokeAllAsync(string brand, string customerId, string reason, IReadOnlyList<string>? keep = null)
    {
        var listed = await Customer(brand, customerId).ListDeviceSessionsAsync();
        var revoked = await Task.WhenAll(listed.Keys.Select(key =>
            deviceSessions.Get(key).RevokeFamiliesAsync(customerId, mfaOnly: false, keep ?? [], reason)));
        return revoked.Sum();
    }

    private ICustomerGrain Customer(string brand, string customerId) => grains.GetGrain<ICustomerGrain>(GrainKeys.Customer(brand, customerId));

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
