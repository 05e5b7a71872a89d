using Sessions.Grains;
using Sessions.Grains.Contracts;
using Sessions.Grains.Customers;
using Sessions.Grains.DeviceSessions;
using Sessions.Grains.Identifiers;
using Sessions.Grains.Identity;
using Sessions.Tests.Infrastructure;

namespace Sessions.Tests.Grains;

/// <summary>
/// An erasure reaches the identifiers of customers stored before the customer listed them, and an identifier it could not
/// reach still lets go of the erased customer: its next login starts a new one rather than failing for ever.
/// </summary>
[Collection(GrainClusterCollection.Name)]
public sealed class CustomerErasureGrainTests(GrainClusterFixture fixture)
{
    [Fact]
    public async Task TheStoreKeepsNothingOfAnErasedCustomerButWhenTheyWereErasedAndTheirIdentifiersLimits()
    {
        var identifier = NewIdentifier();
        var phone = GrainKeys.DeviceSession(identifier, "phone");
        var tablet = GrainKeys.DeviceSession(identifier, "tablet");
        await GrainLogins.LogInAsync(fixture.Grains, phone, identifier, SessionFlow.Mfa);
        var login = await GrainLogins.LogInAsync(fixture.Grains, tablet, identifier, SessionFlow.Login);
        var customerKey = GrainKeys.Customer(TestBrands.Demo, login.CustomerId);

        var erased = await fixture.Grains.GetGrain<ICustomerErasureGrain>(customerKey).EraseAsync("support");
        var regenerated = await fixture.Grains.GetGrain<IDeviceSessionGrain>(tablet).RegenerateAsync(SessionFlow.Login, login.FamilyId, login.Key!.KeyId);

        Assert.Equal((3, 1), (erased.Revoked, erased.IdentifiersReleased));
        Assert.Equal(AuthError.InvalidKey, regenerated.Error);
        Assert.Null(await fixture.StoredStateAsync<DeviceSessionState>(GrainTypes.DeviceSession, phone));
        Assert.Null(await fixture.StoredStateAsync<DeviceSessionState>(GrainTypes.DeviceSession, tablet));
        // The identifier keeps only its limits (the codes just sent count in their window), which end by themselves.
        var (stored, _) = (await fixture.StoredStateAsync<IdentifierState>(GrainTypes.Identifier, GrainKeys.Identifier(identifier)))!.Value;
        Assert.Equal((null, null, null), (stored.CustomerId, stored.MovedTo, stored.MovedCustomerId));
        var (history, _) = (await fixture.StoredStateAsync<CustomerHistoryState>("customer-history", customerKey))!.Value;
        Assert.Equal([SecurityEventKind.CustomerErased], history.Events.Select(e => e.Kind));
        var (customer, _) = (await fixture.StoredStateAsync<CustomerState>("customer", customerKey))!.Value;
        Assert.Equal(erased.ErasedAt, customer.ErasedAt);
        Assert.Equal((null, null, 0, 0, 0), (customer.PasswordHash, customer.MfaPasswordHash, customer.DeviceSessions.Count, customer.Identifiers.Count, customer.MovedIdentifiers.Count));
    }

    [Fact]
    public async Task ACustomerStoredBeforeItListedItsIdentifiersIsStillReleasedFromThem()
    {
        var identifier = NewIdentifier();
        var customerKey = GrainKeys.Customer(TestBrands.Demo, $"legacy-{Guid.NewGuid():N}");
        var customerId = GrainKeys.CustomerIdOf(customerKey);
        // As the version before the identifier list stored it: the device sessions only.
        await fixture.StoreStateAsync("customer", customerKey, new CustomerState
        {
            DeviceSessions = [new CustomerDeviceSession { Key = GrainKeys.DeviceSession(identifier, "phone"), LastLoginAt = fixture.Clock.GetUtcNow(), Sequence = 1 }],
            LoginSequence = 1,
        });
        var owned = fixture.Grains.GetGrain<IIdentifierGrain>(GrainKeys.Identifier(identifier));
        Assert.True(await owned.LinkAsync(customerId));

        var erased = await fixture.Grains.GetGrain<ICustomerErasureGrain>(customerKey).EraseAsync("support");

        Assert.True(erased.Found);
        Assert.Equal(1, erased.IdentifiersReleased);
        Assert.Null(await owned.GetCustomerIdAsync());
        var (tombstone, _) = (await fixture.StoredStateAsync<CustomerState>("customer", customerKey))!.Value;
        Assert.Equal((true, 0, 0), (tombstone.ErasureCompleted, tombstone.DeviceSessions.Count, tombstone.Identifiers.Count));
    }

    [Fact]
    public async Task AnIdentifierStillNamingAnErasedCustomerStartsANewCustomerAtItsNextLogin()
    {
        var identifier = NewIdentifier();
        var erasedKey = GrainKeys.Customer(TestBrands.Demo, $"erased-{Guid.NewGuid():N}");
        var erasedId = GrainKeys.CustomerIdOf(erasedKey);
        await fixture.StoreStateAsync("customer", erasedKey, new CustomerState { ErasedAt = fixture.Clock.GetUtcNow(), ErasureCompleted = true });
        var stale = fixture.Grains.GetGrain<IIdentifierGrain>(GrainKeys.Identifier(identifier));
        Assert.True(await stale.LinkAsync(erasedId));

        var login = await GrainLogins.LogInAsync(fixture.Grains, GrainKeys.DeviceSession(identifier, "phone"), identifier, SessionFlow.Login);

        Assert.NotEqual(erasedId, login.CustomerId);
        Assert.Equal(login.CustomerId, await stale.GetCustomerIdAsync());
        var again = await fixture.Grains.GetGrain<ICustomerErasureGrain>(erasedKey).EraseAsync("support");
        Assert.Equal((true, 0), (again.Found, again.Revoked));
    }

    [Fact]
    public async Task ASecondFactorStillNamingAnErasedCustomerIsEnrolledByTheNextCustomerWhoProvesIt()
    {
        var phone = NewIdentifier();
        var email = new Identifier(TestBrands.Demo, IdentifierType.EMAIL, $"user-{Guid.NewGuid():N}@example.com");
        var erasedKey = GrainKeys.Customer(TestBrands.Demo, $"erased-{Guid.NewGuid():N}");
        await fixture.StoreStateAsync("customer", erasedKey, new CustomerState { ErasedAt = fixture.Clock.GetUtcNow(), ErasureCompleted = true });
        var stale = fixture.Grains.GetGrain<IIdentifierGrain>(GrainKeys.Identifier(email));
        Assert.True(await stale.LinkAsync(GrainKeys.CustomerIdOf(erasedKey)));
        var phoneKey = GrainKeys.DeviceSession(phone, "phone");
        var first = await GrainLogins.LogInAsync(fixture.Grains, phoneKey, phone, SessionFlow.Login);

        var second = fixture.Grains.GetGrain<IDeviceSessionGrain>(GrainKeys.DeviceSession(email, "phone"));
        var opened = await second.OpenMfaSessionAsync(Channel.Mobile,
            new FamilyReference { DeviceSessionKey = phoneKey, FamilyId = first.FamilyId, CustomerId = first.CustomerId }, pendingMfaPassword: null);
        Assert.Equal(AuthError.None, (await second.SendOtpAsync(SessionFlow.Mfa, opened.SessionId!)).Error);
        var code = (await fixture.Grains.GetGrain<IDevOutboxGrain>(GrainKeys.Identifier(email)).GetLatestAsync())!.Code;
        var enrolled = await second.ValidateOtpAsync(SessionFlow.Mfa, opened.SessionId!, code);

        Assert.Equal(AuthError.None, enrolled.Error);
        Assert.Equal(first.CustomerId, enrolled.CustomerId);
        Assert.Equal(first.CustomerId, await stale.GetCustomerIdAsync());
    }

    private static Identifier NewIdentifier() =>
        new(TestBrands.Demo, IdentifierType.MOBILE, "1" + Random.Shared.NextInt64(1_000_000_000, 9_999_999_999).ToString(System.Globalization.CultureInfo.InvariantCulture));
}
