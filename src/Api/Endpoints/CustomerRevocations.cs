using Sessions.Grains.Contracts;
using Sessions.Grains.Identity;

namespace Sessions.Api.Endpoints;

/// <summary>An administrator's "log out everywhere": every family of the customer on every device session it lists.</summary>
public sealed class CustomerRevocations(IGrainFactory grains, DeviceSessionReferences deviceSessions)
{
    public ICustomerGrain Customer(string brand, string customerId) => grains.GetGrain<ICustomerGrain>(GrainKeys.Customer(brand, customerId));

    /// <summary>
    /// The number of live families revoked. Each device session takes itself off the customer's list once it holds
    /// nothing of theirs; one where a login completed meanwhile stays listed, so the next revocation reaches it.
    /// </summary>
    public async Task<int> RevokeAllAsync(string brand, string customerId, string reason)
    {
        var listed = await Customer(brand, customerId).ListDeviceSessionsAsync();
        var revoked = await Task.WhenAll(listed.Keys.Select(key =>
            deviceSessions.Get(key).RevokeFamiliesAsync(customerId, mfaOnly: false, keep: [], reason)));
        return revoked.Sum();
    }
}
