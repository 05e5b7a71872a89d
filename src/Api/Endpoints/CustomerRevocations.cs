using Sessions.Grains.Contracts;
using Sessions.Grains.Identity;

namespace Sessions.Api.Endpoints;

/// <summary>
/// Revokes a customer's families on a set of its device sessions and takes them off its list: what an identifier
/// change and an administrator's "log out everywhere" both do.
/// </summary>
public sealed class CustomerRevocations(IGrainFactory grains, DeviceSessionReferences deviceSessions)
{
    public ICustomerGrain Customer(string brand, string customerId) => grains.GetGrain<ICustomerGrain>(GrainKeys.Customer(brand, customerId));

    /// <summary>The number of live families revoked.</summary>
    public async Task<int> RevokeAsync(ICustomerGrain customer, string customerId, IReadOnlyList<string> deviceSessionKeys, string reason)
    {
        var revoked = await Task.WhenAll(deviceSessionKeys.Select(key =>
            deviceSessions.Get(key).RevokeFamiliesAsync(customerId, mfaOnly: false, exceptFamilyId: null, reason)));
        await customer.ForgetDeviceSessionsAsync(deviceSessionKeys, long.MaxValue);
        return revoked.Sum();
    }
}
