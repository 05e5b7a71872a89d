using Sessions.Grains;
using Sessions.Grains.Contracts;
using Sessions.Grains.DeviceSessions;
using Sessions.Grains.Identity;
using Sessions.Tests.Infrastructure;

namespace Sessions.Tests.Grains;

[Collection(GrainClusterCollection.Name)]
public sealed class DeviceSessionGrainTests(GrainClusterFixture fixture)
{
    [Fact]
    public async Task ConcurrentRegeneratesWithOneKeyProduceExactlyOneSuccessor()
    {
        var (grain, grant) = await LoggedInAsync(SessionFlow.Mfa);

        var grants = await Task.WhenAll(Enumerable.Range(0, 40).Select(_ => grain.RegenerateAsync(SessionFlow.Mfa, grant.FamilyId, grant.Key!.KeyId)));

        Assert.All(grants, g => Assert.Equal(AuthError.None, g.Error));
        var successor = Assert.Single(grants.Select(g => g.Key).Distinct());
        Assert.NotEqual(grant.Key!.KeyId, successor!.KeyId);
        var next = await grain.RegenerateAsync(SessionFlow.Mfa, grant.FamilyId, successor.KeyId);
        Assert.Equal(AuthError.None, next.Error);
    }

    [Fact]
    public async Task ReplayedKeyRevokesTheFamily()
    {
        var (grain, grant) = await LoggedInAsync(SessionFlow.Login);
        var successor = await grain.RegenerateAsync(SessionFlow.Login, grant.FamilyId, grant.Key!.KeyId);

        fixture.Clock.Advance(TimeSpan.FromSeconds(31));
        var replay = await grain.RegenerateAsync(SessionFlow.Login, grant.FamilyId, grant.Key.KeyId);
        var current = await grain.RegenerateAsync(SessionFlow.Login, grant.FamilyId, successor.Key!.KeyId);

        Assert.Equal(AuthError.KeyReused, replay.Error);
        Assert.Equal(AuthError.KeyReused, current.Error);
    }

    [Fact]
    public async Task ARegenerateThatReachesItsGrainAfterItsCallerGaveUpRevokesNothing()
    {
        var (grain, grant) = await LoggedInAsync(SessionFlow.Mfa);
        var successor = await grain.RegenerateAsync(SessionFlow.Mfa, grant.FamilyId, grant.Key!.KeyId);
        fixture.Clock.Advance(TimeSpan.FromSeconds(31));

        // The first try of that regenerate, held by a frozen silo until now: run, it would be a replay past the grace.
        await Assert.ThrowsAsync<TimeoutException>(() => PastItsDeadlineAsync(() => grain.RegenerateAsync(SessionFlow.Mfa, grant.FamilyId, grant.Key.KeyId)));

        var next = await grain.RegenerateAsync(SessionFlow.Mfa, grant.FamilyId, successor.Key!.KeyId);
        Assert.Equal(AuthError.None, next.Error);
        Assert.NotEqual(successor.Key.KeyId, next.Key!.KeyId);
    }

    [Fact]
    public async Task AnUnknownFamilyOrKeyIdOfAnotherFamilyIsNotValid()
    {
        var (grain, grant) = await LoggedInAsync(SessionFlow.Login);

        var unknownFamily = await grain.RegenerateAsync(SessionFlow.Login, RandomIds.NewTokenId(), grant.Key!.KeyId);
        var wrongFlow = await grain.RegenerateAsync(SessionFlow.Mfa, grant.FamilyId, grant.Key.KeyId);

        Assert.Equal(AuthError.InvalidKey, unknownFamily.Error);
        Assert.Equal(AuthError.InvalidKey, wrongFlow.Error);
    }

    [Fact]
    public async Task StateIsWrittenBeforeTheGrainAnswersSoADeactivationLosesNothing()
    {
        var (grain, grant) = await LoggedInAsync(SessionFlow.Mfa);
        var successor = await grain.RegenerateAsync(SessionFlow.Mfa, grant.FamilyId, grant.Key!.KeyId);

        await fixture.Cluster.DeactivateAsync(grain);
        var retry = await grain.RegenerateAsync(SessionFlow.Mfa, grant.FamilyId, grant.Key.KeyId);
        var next = await grain.RegenerateAsync(SessionFlow.Mfa, grant.FamilyId, successor.Key!.KeyId);

        Assert.Equal(successor.Key, retry.Key);
        Assert.Equal(AuthError.None, next.Error);
    }

    [Fact]
    public async Task AKeyStopsWorkingAfterTheIdleLimit()
    {
        var (grain, grant) = await LoggedInAsync(SessionFlow.Mfa, TestBrands.NoRotation);
        await grain.RegenerateAsync(SessionFlow.Mfa, grant.FamilyId, grant.Key!.KeyId);

        fixture.Clock.Advance(TimeSpan.FromDays(89));
        var stillUsed = await grain.RegenerateAsync(SessionFlow.Mfa, grant.FamilyId, grant.Key.KeyId);
        fixture.Clock.Advance(TimeSpan.FromDays(91));
        var idle = await grain.RegenerateAsync(SessionFlow.Mfa, grant.FamilyId, grant.Key.KeyId);

        Assert.Equal(AuthError.None, stillUsed.Error);
        Assert.Equal(AuthError.InvalidKey, idle.Error);
    }

    [Fact]
    public async Task TheStoreSweepRemovesADeviceSessionWhoseKeyEndedAndKeepsOneStillInUse()
    {
        var (ended, _) = await LoggedInAsync(SessionFlow.Login, TestBrands.NoRotation);
        var (inUse, grant) = await LoggedInAsync(SessionFlow.Login, TestBrands.NoRotation);
        var management = fixture.Grains.GetGrain<IManagementGrain>(0);
        await management.ForceActivationCollection(TimeSpan.Zero);

        fixture.Clock.Advance(TimeSpan.FromDays(60));
        await inUse.RegenerateAsync(SessionFlow.Login, grant.FamilyId, grant.Key!.KeyId);
        await management.ForceActivationCollection(TimeSpan.Zero);
        fixture.Clock.Advance(TimeSpan.FromDays(31));
        var storedBefore = await fixture.StoredStateAsync<DeviceSessionState>(GrainTypes.DeviceSession, ended.GetPrimaryKeyString());
        var sweep = await fixture.Grains.GetGrain<IStoreSweepGrain>(IStoreSweepGrain.Key).SweepAsync();

        Assert.NotNull(storedBefore);
        Assert.Null(await fixture.StoredStateAsync<DeviceSessionState>(GrainTypes.DeviceSession, ended.GetPrimaryKeyString()));
        Assert.NotNull(await fixture.StoredStateAsync<DeviceSessionState>(GrainTypes.DeviceSession, inUse.GetPrimaryKeyString()));
        Assert.Equal(AuthError.None, (await inUse.RegenerateAsync(SessionFlow.Login, grant.FamilyId, grant.Key.KeyId)).Error);
        Assert.InRange(sweep.Removed, 1, sweep.Tidied);
    }

    [Fact]
    public async Task ADeviceSessionAskedToTidyWhileItsKeyLivesKeepsIt()
    {
        var (grain, grant) = await LoggedInAsync(SessionFlow.Mfa);

        var nothingLeft = await fixture.Grains.GetGrain<ITidyGrain>(grain.GetGrainId()).TidyAsync();

        Assert.False(nothingLeft);
        Assert.NotNull(await fixture.StoredStateAsync<DeviceSessionState>(GrainTypes.DeviceSession, grain.GetPrimaryKeyString()));
        Assert.Equal(AuthError.None, (await grain.RegenerateAsync(SessionFlow.Mfa, grant.FamilyId, grant.Key!.KeyId)).Error);
    }

    [Fact]
    public async Task TheWholeClusterRestartsOnTheSameStoreAndEveryKeyStillWorks()
    {
        var serviceId = $"restart-{Guid.NewGuid():N}";
        var identifier = new Identifier(TestBrands.Demo, IdentifierType.EMAIL, $"{Guid.NewGuid():N}@example.com");
        var key = GrainKeys.DeviceSession(identifier, "device-1");
        Grant grant;
        await using (var first = await GrainClusterFixture.StartClusterAsync(serviceId, fixture.Clock, silos: 1))
        {
            grant = await GrainLogins.LogInAsync(first.Client, key, identifier, SessionFlow.Mfa);
        }

        await using var second = await GrainClusterFixture.StartClusterAsync(serviceId, fixture.Clock, silos: 2);
        var regenerated = await second.Client.GetGrain<IDeviceSessionGrain>(key).RegenerateAsync(SessionFlow.Mfa, grant.FamilyId, grant.Key!.KeyId);

        Assert.Equal(AuthError.None, regenerated.Error);
        Assert.Equal(grant.CustomerId, regenerated.CustomerId);
    }

    [Fact]
    public async Task TheSameIdentifierOnTwoDevicesIsOneCustomer()
    {
        // The test identifier's fixed code lets both devices log in at once without racing on the outbox.
        var identifier = new Identifier(TestBrands.Demo, IdentifierType.MOBILE, TestBrands.TestMobile);

        var grants = await Task.WhenAll(
            GrainLogins.LogInAsync(fixture.Grains, GrainKeys.DeviceSession(identifier, "a"), identifier, SessionFlow.Login, TestBrands.TestOtp),
            GrainLogins.LogInAsync(fixture.Grains, GrainKeys.DeviceSession(identifier, "b"), identifier, SessionFlow.Login, TestBrands.TestOtp));

        Assert.Equal(grants[0].CustomerId, grants[1].CustomerId);
    }

    [Fact]
    public async Task GrainKeysAreInjective()
    {
        var a = GrainKeys.DeviceSession(new Identifier("B", IdentifierType.EXTERNALID, "a/b"), "c");
        var b = GrainKeys.DeviceSession(new Identifier("B", IdentifierType.EXTERNALID, "a"), "b/c");

        Assert.NotEqual(a, b);
        Assert.Equal(("a/b", "c"), (GrainKeys.ParseDeviceSession(a).Identifier.Value, GrainKeys.ParseDeviceSession(a).DeviceId));
        await Task.CompletedTask;
    }

    [Fact]
    public async Task AnMfaFamilyStoredBeforeFamiliesNamedTheirFlowIsStillRevokedAsAnMfaFamily()
    {
        var (grain, grant) = await LoggedInAsync(SessionFlow.Mfa);
        await fixture.Cluster.DeactivateAsync(grain);
        // A state written before KeyFamily.Flow existed reads the field's default, Login, in the MFA slot.
        await RewriteStoredStateAsync(grain, state => state.MfaFamily = state.MfaFamily! with { Flow = SessionFlow.Login });

        var revoked = await grain.RevokeFamiliesAsync(grant.CustomerId, mfaOnly: true, keep: [], "test: MFA password changed");
        var regenerate = await grain.RegenerateAsync(SessionFlow.Mfa, grant.FamilyId, grant.Key!.KeyId);

        Assert.Equal(1, revoked);
        Assert.Equal(AuthError.InvalidKey, regenerate.Error);
    }

    private async Task<(IDeviceSessionGrain Grain, Grant Grant)> LoggedInAsync(SessionFlow flow, string brand = TestBrands.Demo)
    {
        var identifier = new Identifier(brand, IdentifierType.MOBILE, NewMobile());
        var key = GrainKeys.DeviceSession(identifier, $"device-{Guid.NewGuid():N}");
        var grant = await GrainLogins.LogInAsync(fixture.Grains, key, identifier, flow);
        return (fixture.Grains.GetGrain<IDeviceSessionGrain>(key), grant);
    }

    /// <summary>Makes <paramref name="call"/> as a caller whose deadline passed a second ago (the deadline is this call's alone).</summary>
    private static async Task<T> PastItsDeadlineAsync<T>(Func<Task<T>> call)
    {
        RequestContext.Set(CallDeadlines.DeadlineKey, DateTimeOffset.UtcNow.AddSeconds(-1).UtcTicks);
        return await call();
    }

    /// <summary>Changes the device session's state where the store holds it, as an earlier version would have written it.</summary>
    private async Task RewriteStoredStateAsync(IDeviceSessionGrain grain, Action<DeviceSessionState> change)
    {
        var stored = await fixture.StoredStateAsync<DeviceSessionState>("device-session", grain.GetPrimaryKeyString());
        Assert.NotNull(stored);
        change(stored.Value.State);
        await fixture.StoreStateAsync("device-session", grain.GetPrimaryKeyString(), stored.Value.State);
    }

    private static string NewMobile() => "1" + Random.Shared.NextInt64(1_000_000_000, 9_999_999_999).ToString(System.Globalization.CultureInfo.InvariantCulture);
}
