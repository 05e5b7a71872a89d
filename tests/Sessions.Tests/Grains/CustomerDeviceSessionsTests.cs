using Sessions.Grains;
using Sessions.Grains.Contracts;
using Sessions.Grains.Customers;
using Sessions.Grains.Identity;
using Sessions.Tests.Infrastructure;
using Xunit.Abstractions;

namespace Sessions.Tests.Grains;

/// <summary>
/// The customer's list of device sessions stays bounded: a login beyond the brand's MaxDeviceSessions (50) revokes
/// the least recently logged-in one, and a device session left with no live family leaves the list.
/// </summary>
[Collection(GrainClusterCollection.Name)]
public sealed class CustomerDeviceSessionsTests(GrainClusterFixture fixture, ITestOutputHelper output)
{
    private const int Limit = 50;

    [Fact]
    public async Task AThousandLoginsOnDistinctDevicesKeepTheCustomersStoredStateUnderAFixedSize()
    {
        var identifier = new Identifier(TestBrands.Demo, IdentifierType.MOBILE, TestBrands.TestMobile);
        var logins = new List<(string Key, Grant Grant)>();
        var sizeAtLimit = 0;
        for (var i = 0; i < 1000; i++)
        {
            var key = GrainKeys.DeviceSession(identifier, $"device-{Guid.NewGuid():N}");
            logins.Add((key, await GrainLogins.LogInAsync(fixture.Grains, key, identifier, SessionFlow.Login, TestBrands.TestOtp)));
            if (i == Limit - 1)
            {
                sizeAtLimit = (await StoredCustomerAsync(logins[0].Grant.CustomerId)).Bytes;
            }
        }

        var (customer, bytes) = await StoredCustomerAsync(logins[0].Grant.CustomerId);
        output.WriteLine($"customer state: {sizeAtLimit} bytes after {Limit} logins, {bytes} bytes after 1,000");
        Assert.Equal(Limit, customer.DeviceSessions.Count);
        Assert.Equal(logins.TakeLast(Limit).Select(l => l.Key), customer.DeviceSessions.Select(d => d.Key));
        Assert.True(bytes <= sizeAtLimit + 64, $"{bytes} bytes stored after 1,000 logins, {sizeAtLimit} after {Limit}");
        Assert.True(bytes < 16 * 1024, $"{bytes} bytes stored for one customer");

        Assert.Equal(AuthError.InvalidKey, (await RegenerateAsync(logins[0])).Error);
        Assert.Equal(AuthError.InvalidKey, (await RegenerateAsync(logins[^(Limit + 1)])).Error);
        foreach (var live in logins.TakeLast(Limit))
        {
            Assert.Equal(AuthError.None, (await RegenerateAsync(live)).Error);
        }
    }

    [Fact]
    public async Task ALoginAgainOnAListedDeviceMovesItToTheMostRecentEndInsteadOfAddingIt()
    {
        var identifier = new Identifier(TestBrands.Demo, IdentifierType.MOBILE, "1" + Random.Shared.NextInt64(1_000_000_000, 9_999_999_999));
        var first = GrainKeys.DeviceSession(identifier, "phone-a");
        var second = GrainKeys.DeviceSession(identifier, "phone-b");
        var grant = await GrainLogins.LogInAsync(fixture.Grains, first, identifier, SessionFlow.Login);
        await GrainLogins.LogInAsync(fixture.Grains, second, identifier, SessionFlow.Login);
        await GrainLogins.LogInAsync(fixture.Grains, first, identifier, SessionFlow.Login);

        var (customer, _) = await StoredCustomerAsync(grant.CustomerId);

        Assert.Equal([second, first], customer.DeviceSessions.Select(d => d.Key));
    }

    [Fact]
    public async Task ADeviceSessionWhoseOnlyFamilyIsRevokedForReuseLeavesTheCustomersList()
    {
        var identifier = new Identifier(TestBrands.Demo, IdentifierType.MOBILE, "1" + Random.Shared.NextInt64(1_000_000_000, 9_999_999_999));
        var kept = GrainKeys.DeviceSession(identifier, "phone-kept");
        var replayed = GrainKeys.DeviceSession(identifier, "phone-replayed");
        await GrainLogins.LogInAsync(fixture.Grains, kept, identifier, SessionFlow.Login);
        var grant = await GrainLogins.LogInAsync(fixture.Grains, replayed, identifier, SessionFlow.Login);
        var grain = fixture.Grains.GetGrain<IDeviceSessionGrain>(replayed);
        await grain.RegenerateAsync(SessionFlow.Login, grant.FamilyId, grant.Key!.KeyId);

        fixture.Clock.Advance(TimeSpan.FromSeconds(31));
        var replay = await grain.RegenerateAsync(SessionFlow.Login, grant.FamilyId, grant.Key.KeyId);
        var (customer, _) = await StoredCustomerAsync(grant.CustomerId);

        Assert.Equal(AuthError.KeyReused, replay.Error);
        Assert.Equal([kept], customer.DeviceSessions.Select(d => d.Key));
    }

    private Task<Grant> RegenerateAsync((string Key, Grant Grant) login) =>
        fixture.Grains.GetGrain<IDeviceSessionGrain>(login.Key).RegenerateAsync(SessionFlow.Login, login.Grant.FamilyId, login.Grant.Key!.KeyId);

    /// <summary>The customer's state as the store holds it, and its size in bytes.</summary>
    private async Task<(CustomerState State, int Bytes)> StoredCustomerAsync(string customerId)
    {
        var stored = await fixture.StoredStateAsync<CustomerState>("customer", GrainKeys.Customer(TestBrands.Demo, customerId));
        Assert.NotNull(stored);
        return stored.Value;
    }
}
