using Sessions.Grains;
using Sessions.Grains.Contracts;
using Sessions.Grains.Identifiers;
using Sessions.Grains.Identity;
using Sessions.Tests.Infrastructure;

namespace Sessions.Tests.Grains;

/// <summary>
/// The identifier move across two identifier grains, interrupted where a crash or a store failure can stop it: the
/// next call settles it so that exactly one value holds the customer.
/// </summary>
[Collection(GrainClusterCollection.Name)]
public sealed class IdentifierMoveTests(GrainClusterFixture fixture)
{
    private const string Customer = "customer-moving";

    [Fact]
    public async Task AMoveInterruptedAfterTheNewValueClaimedTheLinkIsFinishedByTheNextCall()
    {
        var (oldValue, newValue) = (NewIdentifier(), NewIdentifier());
        Assert.True(await Grain(newValue).ClaimAsync(Customer, oldValue.Value));
        await StoreAsync(oldValue, new IdentifierState { CustomerId = Customer, PendingMove = newValue.Value });

        Assert.Null(await Grain(oldValue).GetCustomerIdAsync());
        Assert.Equal(Customer, await Grain(newValue).GetCustomerIdAsync());
        Assert.Equal(AuthError.None, await MoveAsync(oldValue, newValue, Customer));
    }

    [Fact]
    public async Task AMoveInterruptedBeforeTheClaimIsAbortedByTheNextCallAndCanBeRetried()
    {
        var (oldValue, newValue) = (NewIdentifier(), NewIdentifier());
        await StoreAsync(oldValue, new IdentifierState { CustomerId = Customer, PendingMove = newValue.Value });

        Assert.Equal(Customer, await Grain(oldValue).GetCustomerIdAsync());
        Assert.Null(await Grain(newValue).GetCustomerIdAsync());
        Assert.Equal(AuthError.None, await MoveAsync(oldValue, newValue, Customer));
        Assert.Null(await Grain(oldValue).GetCustomerIdAsync());
        Assert.Equal(Customer, await Grain(newValue).GetCustomerIdAsync());
    }

    [Fact]
    public async Task AValueLinkedToAnotherCustomerIsNeverTakenOver()
    {
        var (oldValue, newValue) = (NewIdentifier(), NewIdentifier());
        Assert.True(await Grain(oldValue).LinkAsync(Customer));
        Assert.True(await Grain(newValue).LinkAsync("someone-else"));

        Assert.Equal(AuthError.InvalidDetails, await MoveAsync(oldValue, newValue, Customer));
        Assert.Equal(Customer, await Grain(oldValue).GetCustomerIdAsync());
        Assert.Equal("someone-else", await Grain(newValue).GetCustomerIdAsync());
    }

    [Fact]
    public async Task TwoValuesMovingOntoEachOtherAtOnceBothAnswerInUseAtOnceAndStayWhoseTheyWere()
    {
        for (var round = 0; round < 10; round++)
        {
            var (a, b) = (NewIdentifier(), NewIdentifier());
            Assert.True(await Grain(a).LinkAsync("customer-a"));
            Assert.True(await Grain(b).LinkAsync("customer-b"));

            var started = DateTime.UtcNow;
            var moves = await Task.WhenAll(MoveAsync(a, b, "customer-a"), MoveAsync(b, a, "customer-b"));

            Assert.All(moves, move => Assert.Equal(AuthError.InvalidDetails, move));
            Assert.True(DateTime.UtcNow - started < TimeSpan.FromSeconds(5), "crossing moves must not wait on each other");
            Assert.Equal("customer-a", await Grain(a).GetCustomerIdAsync());
            Assert.Equal("customer-b", await Grain(b).GetCustomerIdAsync());
            Assert.Equal(AuthError.None, await MoveAsync(a, NewIdentifier(), "customer-a"));
        }
    }

    [Fact]
    public async Task AMoveThatALoginRacedIntoAFreshCustomerStillCompletesAndItsRetrySucceeds()
    {
        var (oldValue, newValue) = (NewIdentifier(), NewIdentifier());
        Assert.True(await Grain(oldValue).LinkAsync(Customer));
        Assert.Equal(MoveStart.Started, await Grain(oldValue).BeginMoveAsync(Customer, newValue.Value));
        Assert.True(await Grain(newValue).ClaimAsync(Customer, oldValue.Value));

        // A first login on the old value lands between the claim and the last step: the value is free, so it is a new customer's.
        var racer = await Grain(oldValue).EnsureCustomerIdAsync();

        Assert.NotEqual(Customer, racer);
        Assert.True(await Grain(oldValue).CompleteMoveAsync(Customer, newValue.Value));
        Assert.Equal(AuthError.None, await MoveAsync(oldValue, newValue, Customer));
        Assert.Equal(racer, await Grain(oldValue).GetCustomerIdAsync());
        Assert.Equal(Customer, await Grain(newValue).GetCustomerIdAsync());
    }

    private Task<AuthError> MoveAsync(Identifier from, Identifier to, string customerId) => IdentifierMove.RunAsync(fixture.Grains, from, to.Value, customerId);

    private IIdentifierGrain Grain(Identifier identifier) => fixture.Grains.GetGrain<IIdentifierGrain>(GrainKeys.Identifier(identifier));

    private static Identifier NewIdentifier() =>
        new(TestBrands.Demo, IdentifierType.MOBILE, "1" + Random.Shared.NextInt64(1_000_000_000, 9_999_999_999));

    /// <summary>Writes the identifier's state as a move that stopped half-way left it, before the grain is activated.</summary>
    private Task StoreAsync(Identifier identifier, IdentifierState state) =>
        fixture.StoreStateAsync("identifier", GrainKeys.Identifier(identifier), state);
}
