using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Sessions.Grains.Configuration;
using Sessions.Grains.Contracts;
using Sessions.Grains.Identity;

namespace Sessions.Grains.Customers;

/// <summary>
/// Orders the sign-outs of one customer. It keeps no state: being one activation whose turns do not interleave is its
/// whole job, so that the check of a caller's login and the revocations it allows are one step for every other sign-out.
/// </summary>
[GrainType("customer-sign-outs")]
[CollectionAgeLimit(Minutes = 2)]
internal sealed class CustomerSignOutsGrain(
    [FromKeyedServices(ServiceKeys.Clock)] TimeProvider clock,
    IOptions<SessionsOptions> options) : Grain, ICustomerSignOutsGrain
{
    private string CustomerId => GrainKeys.CustomerIdOf(this.GetPrimaryKeyString());

    public async Task<SignOutOutcome> RevokeFamilyAsync(string familyId, string reason, FamilyReference? caller)
    {
        var own = caller?.FamilyId == familyId;
        if (caller is not null)
        {
            var (_, refused) = await CheckCallerAsync(caller, needsRecentLogin: !own);
            if (refused != AuthError.None)
            {
                return SignOutOutcome.Failed(refused);
            }
        }
        // The caller's own family is on the caller's device session; another is asked of each of the customer's at once,
        // and only the one that holds it revokes it.
        IReadOnlyList<string> holders = own && caller is not null ? [caller.DeviceSessionKey] : (await Customer.ListDeviceSessionsAsync()).Keys;
        var revoked = await Task.WhenAll(holders.Select(key => DeviceSession(key).RevokeFamilyAsync(CustomerId, familyId, reason)));
        return revoked.Contains(true) ? SignOutOutcome.SignedOut(1) : SignOutOutcome.Failed(AuthError.InvalidDetails);
    }

    public async Task<SignOutOutcome> RevokeAllAsync(string reason, FamilyReference? caller)
    {
        IReadOnlyList<string> keep = [];
        if (caller is not null)
        {
            var (family, refused) = await CheckCallerAsync(caller, needsRecentLogin: true);
            if (refused != AuthError.None)
            {
                return SignOutOutcome.Failed(refused);
            }
            // The login chain stays, as a password change keeps it: this family and the one that authorised it.
            keep = family!.AuthorizedByFamilyId is { } authorizedBy ? [family.FamilyId, authorizedBy] : [family.FamilyId];
        }
        // Each device session takes itself off the customer's list once it holds nothing of theirs; one where a login
        // completed meanwhile stays listed, so the next revocation reaches it.
        var listed = await Customer.ListDeviceSessionsAsync();
        var revoked = await Task.WhenAll(listed.Keys.Select(key => DeviceSession(key).RevokeFamiliesAsync(CustomerId, mfaOnly: false, keep, reason)));
        return SignOutOutcome.SignedOut(revoked.Sum());
    }

    /// <summary>
    /// The caller's family as it is now: it must live (a token of a dead family authorises nothing, 1596), be the
    /// customer's, and, for anything but a logout, come from a login of the brand's last RecentLoginMinutes.
    /// </summary>
    private async Task<(FamilySummary? Family, AuthError Error)> CheckCallerAsync(FamilyReference caller, bool needsRecentLogin)
    {
        if (caller.CustomerId != CustomerId)
        {
            return (null, AuthError.InvalidToken);
        }
        var live = await DeviceSession(caller.DeviceSessionKey).LiveFamiliesAsync(CustomerId);
        if (live.FirstOrDefault(f => f.FamilyId == caller.FamilyId) is not { } family)
        {
            return (null, AuthError.InvalidToken);
        }
        var brand = options.Value.GetBrand(GrainKeys.BrandOfCustomer(this.GetPrimaryKeyString()));
        return needsRecentLogin && !brand.IsRecentLogin(family.CreatedAt, clock.GetUtcNow())
            ? (family, AuthError.RecentLoginRequired)
            : (family, AuthError.None);
    }

    private ICustomerGrain Customer => GrainFactory.GetGrain<ICustomerGrain>(this.GetPrimaryKeyString());

    private IDeviceSessionGrain DeviceSession(string key) => GrainFactory.GetGrain<IDeviceSessionGrain>(key);
}
