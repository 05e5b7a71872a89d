using Microsoft.Extensions.DependencyInjection;
using Sessions.Grains.Contracts;
using Sessions.Grains.Identity;

namespace Sessions.Grains.Customers;

/// <summary>
/// Erases a customer in the order that leaves nothing to bring them back: first the customer refuses every login and
/// drops its password hashes, then each device session forgets their families and each identifier lets go of them,
/// then the history forgets them, and last the customer forgets what linked to them. A step that fails fails the call,
/// and the retry (the caller's, or the customer's reminder's, kept from the first step to the last) starts again from
/// what the customer still lists. It keeps no state.
/// </summary>
[GrainType("customer-erasure")]
[CollectionAgeLimit(Minutes = 2)]
internal sealed class CustomerErasureGrain([FromKeyedServices(ServiceKeys.Clock)] TimeProvider clock) : Grain, ICustomerErasureGrain
{
    public async Task<CustomerErased> EraseAsync(string erasedBy)
    {
        var key = this.GetPrimaryKeyString();
        var customerId = GrainKeys.CustomerIdOf(key);
        var customer = GrainFactory.GetGrain<ICustomerGrain>(key);
        var erasure = await customer.BeginErasureAsync(erasedBy);
        if (!erasure.Found || erasure.Completed)
        {
            return new CustomerErased { Found = erasure.Found, ErasedAt = erasure.ErasedAt };
        }
        var revoked = await Task.WhenAll(erasure.DeviceSessions.Select(deviceSession =>
            GrainFactory.GetGrain<IDeviceSessionGrain>(deviceSession).EraseCustomerAsync(customerId)));
        var released = await Task.WhenAll(erasure.Identifiers.Select(identifier =>
            GrainFactory.GetGrain<IIdentifierGrain>(identifier).ReleaseAsync(customerId)));
        await GrainFactory.GetGrain<ICustomerHistoryGrain>(key).EraseAsync(new SecurityEvent
        {
            Kind = SecurityEventKind.CustomerErased,
            At = clock.GetUtcNow(),
            Reason = RevocationReasons.CustomerErased,
            Detail = erasure.ErasedBy,
        });
        await customer.CompleteErasureAsync();
        return new CustomerErased
        {
            Found = true,
            ErasedAt = erasure.ErasedAt,
            Revoked = revoked.Sum(),
            IdentifiersReleased = released.Count(r => r),
        };
    }
}
