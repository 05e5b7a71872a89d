using System.Text.Json.Nodes;
using Sessions.Client;
using Sessions.Tests.Infrastructure;

namespace Sessions.Tests.ClientLibrary;

/// <summary>
/// In a token's last minutes (<c>RefreshAheadBeforeExpiry</c>) a caller gets it at once while its successor is fetched:
/// the app waits for a regenerate only when it made no call in that window.
/// </summary>
[Collection(ClientCollection.Name)]
public sealed class RefreshAheadTests(ClientFixture fixture)
{
    // Two of the token's fifteen minutes left: fresh, and in the default three-minute window.
    private static readonly TimeSpan NearItsEnd = TimeSpan.FromMinutes(13);

    [Fact]
    public async Task ACallerNearTheTokensEndGetsItAtOnceWhileItsSuccessorIsFetchedOnce()
    {
        var held = new HeldRegenerate();
        await using var customer = await fixture.LogInNewCustomerAsync(faults: held);
        var first = await customer.Session.GetTokenAsync();
        var firstKey = await customer.StoredKeyAsync();
        using var regenerations = new HostCounter(fixture.Factory.Services, "sessions.regenerations");
        fixture.Factory.Clock.Advance(NearItsEnd);

        // The regenerate is held at the network: callers still get the current token, without waiting for it.
        Assert.Equal(first, await customer.Session.GetTokenAsync());
        await held.Reached.Task.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal(first, await customer.Session.GetTokenAsync());
        Assert.Equal(first, await customer.Session.GetTokenAsync());
        held.Release.SetResult();

        string next = first;
        await fixture.WhileTheClockRunsAsync(() => (next = customer.Session.GetTokenAsync().AsTask().Result) != first);
        Assert.Equal(1, regenerations.Total);
        Assert.Equal("USER", Jwt.Payload(next).GetProperty("rol").GetString());
        Assert.NotEqual(firstKey, await customer.StoredKeyAsync());
        // The successor is a whole new token: the next calls use it and fetch nothing.
        Assert.Equal(next, await customer.Session.GetTokenAsync());
        Assert.Equal(1, regenerations.Total);
    }

    [Fact]
    public async Task ARefreshAheadThatCannotReachTheServiceKeepsTheTokenAndTheSessionAndIsTriedAgainLater()
    {
        using var measured = Measurements.OfClientLibrary();
        var network = new FaultyNetwork(fixture.Factory.Clock) { Offline = true };
        await using var customer = await fixture.LogInNewCustomerAsync(faults: network, meters: measured.Meters);
        var first = await customer.Session.GetTokenAsync();
        var key = await customer.StoredKeyAsync();
        SessionEndedReason? told = null;
        customer.Session.SessionEnded += (_, e) => told = e.Reason;
        fixture.Factory.Clock.Advance(NearItsEnd);

        Assert.Equal(first, await customer.Session.GetTokenAsync());
        await fixture.WhileTheClockRunsAsync(() => measured.Sum("sessions.client.regenerations", ("sessions.outcome", "unavailable")) == 1);
        var attempts = measured.Sum("sessions.client.regenerate.attempts");

        // Right after the failure, calls use the token and start nothing; the store still holds the key, nothing pending.
        Assert.Equal(first, await customer.Session.GetTokenAsync());
        Assert.Equal(first, await customer.Session.GetTokenAsync());
        Assert.Equal(attempts, measured.Sum("sessions.client.regenerate.attempts"));
        Assert.Equal(key, await customer.StoredKeyAsync());
        Assert.False((await ClientFixture.StoredAsync(customer.Store))!.Value.TryGetProperty("pending", out _));
        Assert.Null(told);

        // Back online and a while later, a call starts it again, and it goes through.
        network.Offline = false;
        fixture.Factory.Clock.Advance(TimeSpan.FromSeconds(16));
        Assert.Equal(first, await customer.Session.GetTokenAsync());
        string next = first;
        await fixture.WhileTheClockRunsAsync(() => (next = customer.Session.GetTokenAsync().AsTask().Result) != first);
        Assert.NotEqual(key, await customer.StoredKeyAsync());
        Assert.Equal(1, measured.Sum("sessions.client.regenerations", ("sessions.outcome", "success")));
    }

    [Fact]
    public async Task ASessionRevokedMeanwhileEndsThroughTheRefreshAheadAndTheNextCallSaysSo()
    {
        await using var customer = await fixture.LogInNewCustomerAsync();
        var first = await customer.Session.GetTokenAsync();
        var ended = new TaskCompletionSource<SessionEndedReason>(TaskCreationOptions.RunContinuationsAsynchronously);
        customer.Session.SessionEnded += (_, e) => ended.TrySetResult(e.Reason);
        var revoked = await fixture.Api.PostAsync("user/sessions/revoke",
            customer.Device.Body(("token", first), ("familyId", Jwt.Payload(first).GetProperty("sid").GetString())));
        Assert.True(revoked.Success, revoked.Body.ToString());
        fixture.Factory.Clock.Advance(NearItsEnd);

        // The token is handed out (the app's resource servers will refuse it); the regenerate behind it learns the end.
        Assert.Equal(first, await customer.Session.GetTokenAsync());

        Assert.Equal(SessionEndedReason.KeyInvalid, await ended.Task.WaitAsync(TimeSpan.FromSeconds(30)));
        var next = await Assert.ThrowsAsync<SessionEndedException>(() => customer.Session.GetTokenAsync().AsTask());
        Assert.Equal(SessionEndedReason.KeyInvalid, next.Reason);
        Assert.Null(await ClientFixture.StoredAsync(customer.Store));
    }

    [Fact]
    public async Task ALogoutWhileARegenerateAheadIsUnderWayWaitsForItAndEndsTheSessionOnceAsLoggedOut()
    {
        var held = new HeldRegenerate();
        await using var customer = await fixture.LogInNewCustomerAsync(faults: held);
        var told = new List<SessionEndedReason>();
        customer.Session.SessionEnded += (_, e) => told.Add(e.Reason);
        fixture.Factory.Clock.Advance(NearItsEnd);
        await customer.Session.GetTokenAsync();
        await held.Reached.Task.WaitAsync(TimeSpan.FromSeconds(30));

        var logout = customer.Session.LogOutAsync();
        await Task.Delay(200);
        Assert.False(logout.IsCompleted, "the logout went ahead of the regenerate under way");
        held.Release.SetResult();

        Assert.True(await logout);
        Assert.Equal([SessionEndedReason.LoggedOut], told);
        Assert.Null(await ClientFixture.StoredAsync(customer.Store));
    }

    [Fact]
    public async Task TheWindowIsNeverMoreThanTheLastQuarterOfATokensLife()
    {
        var held = new HeldRegenerate();
        await using var customer = await fixture.LogInNewCustomerAsync(faults: held, configure: o => o.RefreshAheadBeforeExpiry = TimeSpan.FromMinutes(10));
        var first = await customer.Session.GetTokenAsync();

        // Five minutes left: inside the ten configured, outside the last quarter (3.75 of 15).
        fixture.Factory.Clock.Advance(TimeSpan.FromMinutes(10));
        Assert.Equal(first, await customer.Session.GetTokenAsync());
        await Task.Delay(200);
        Assert.False(held.Reached.Task.IsCompleted, "a regenerate started with five of fifteen minutes left");

        fixture.Factory.Clock.Advance(TimeSpan.FromMinutes(1.5));
        Assert.Equal(first, await customer.Session.GetTokenAsync());
        await held.Reached.Task.WaitAsync(TimeSpan.FromSeconds(30));
        held.Release.SetResult();
    }

    [Fact]
    public async Task ASessionStoredBeforeTokensIssueTimesWereKeptIsRefreshedNearItsEndAndKeepsItFromThen()
    {
        await using var customer = await fixture.LogInNewCustomerAsync();
        var first = await customer.Session.GetTokenAsync();
        var stored = JsonNode.Parse((await customer.Store.LoadAsync(SessionKeeper.DefaultName, CancellationToken.None))!)!.AsObject();
        Assert.True(stored.Remove("tokenIssuedAt"));
        await customer.Store.SaveAsync(SessionKeeper.DefaultName, stored.ToJsonString(), CancellationToken.None);
        var held = new HeldRegenerate();
        await using var updatedApp = fixture.NewApp(customer.Store, faults: held);
        var session = updatedApp.GetSession();
        fixture.Factory.Clock.Advance(NearItsEnd);

        Assert.Equal(first, await session.GetTokenAsync());
        await Task.Delay(200);
        Assert.False(held.Reached.Task.IsCompleted, "a regenerate started ahead without the token's issue time");

        fixture.Factory.Clock.Advance(TimeSpan.FromMinutes(1.5));
        held.Release.SetResult();
        var next = await session.GetTokenAsync();
        Assert.NotEqual(first, next);
        Assert.Equal(Jwt.Payload(next).GetProperty("iat").GetInt64(),
            (await ClientFixture.StoredAsync(customer.Store))!.Value.GetProperty("tokenIssuedAt").GetDateTimeOffset().ToUnixTimeSeconds());
    }

    [Fact]
    public async Task WithTheWindowEqualToRefreshBeforeExpiryNoRegenerateStartsAhead()
    {
        var held = new HeldRegenerate();
        await using var customer = await fixture.LogInNewCustomerAsync(faults: held, configure: o => o.RefreshAheadBeforeExpiry = o.RefreshBeforeExpiry);
        var first = await customer.Session.GetTokenAsync();
        fixture.Factory.Clock.Advance(NearItsEnd);

        Assert.Equal(first, await customer.Session.GetTokenAsync());
        await Task.Delay(200);

        Assert.False(held.Reached.Task.IsCompleted, "a regenerate started ahead with the window switched off");
        held.Release.SetResult();
    }
}
