using System.Globalization;
using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Orleans;
using Orleans.Runtime;
using Orleans.Serialization;
using Sessions.Grains.Contracts;
using Sessions.Grains.Identifiers;
using Sessions.Grains.Identity;
using Sessions.Tests.Infrastructure;
using StackExchange.Redis;

namespace Sessions.Tests.Attacks;

/// <summary>
/// Anonymous calls cannot grow the store without bound or end someone else's login (API.md §7): an identifier holds at
/// most MaxOpenLogins open sessions (then 1534 with Retry-After), a device session or identifier that holds nothing
/// keeps no stored state, and a browser's pending login survives any number of strangers' <c>web/token/generate</c>.
/// </summary>
public sealed class BoundedStateTests
{
    [Fact]
    public async Task AnIdentifierHoldsAtMostMaxOpenLoginsOpenSessions()
    {
        await using var factory = new ApiFactory();
        var client = factory.CreateSessionsClient();
        var phone = TestDevice.NewMobile();

        var answers = new List<ApiResponse>();
        for (var i = 0; i < 25; i++)
        {
            answers.Add(await client.PostAsync("token/generate", phone.OnDevice($"anonymous-{i}").Body()));
        }
        var sameDeviceAgain = await client.PostAsync("token/generate", phone.OnDevice("anonymous-0").Body());

        Assert.All(answers.Take(20), a => Assert.True(a.Success, a.Body.ToString()));
        Assert.All(answers.Skip(20), a => Assert.Equal((HttpStatusCode.TooManyRequests, 1534), (a.Status, a.Code)));
        Assert.InRange(answers[20].Raw.Headers.RetryAfter!.Delta!.Value, TimeSpan.FromMinutes(14), TimeSpan.FromMinutes(15));
        Assert.True(sameDeviceAgain.Success, "a device session replacing its own open session takes no new place");

        factory.Clock.Advance(TimeSpan.FromMinutes(16));
        Assert.True((await client.PostAsync("token/generate", phone.OnDevice("after-expiry").Body())).Success, "expired sessions free their places");
    }

    [Fact]
    public async Task DeviceSessionsAndIdentifiersThatHoldNothingLeaveNoStoredState()
    {
        var port = FreePort.Next();
        await using var factory = ApiWithStorePort(port);
        var client = factory.CreateSessionsClient();
        var anonymous = TestDevice.NewMobile();
        var customer = TestDevice.NewMobile();
        for (var i = 0; i < 5; i++)
        {
            await SessionsClient.Ok(client.PostAsync("token/generate", anonymous.OnDevice($"anonymous-{i}").Body()));
        }
        var login = await client.LoginAsync(customer);
        Assert.Equal(6, (await StoredKeysAsync(port, anonymous)).Count);

        factory.Clock.Advance(TimeSpan.FromMinutes(16));
        await factory.Services.GetRequiredService<IGrainFactory>().GetGrain<IManagementGrain>(0).ForceActivationCollection(TimeSpan.Zero);

        Assert.Empty(await StoredKeysAsync(port, anonymous));
        Assert.NotEmpty(await StoredKeysAsync(port, customer));
        Assert.True((await client.PostAsync("token/regenerate", customer.Body(("key", login.Key)))).Success);
    }

    [Fact]
    public async Task ADeviceSessionForgetsAFamilyThirtyDaysAfterItWasRevoked()
    {
        var port = FreePort.Next();
        await using var factory = ApiWithStorePort(port);
        var client = factory.CreateSessionsClient();
        var phone = TestDevice.NewMobile();
        var mfa = await client.MfaLoginAsync(phone, phone);
        // A reset revokes every family of the customer, this device's included.
        var reset = await client.StartLoginAsync(phone);
        await SessionsClient.Ok(client.PostAsync("password/forget", phone.Body(("sessionId", reset), ("otp", await client.LatestOtpAsync(phone)), ("password", "new secret 12"), ("confirmPassword", "new secret 12"))));
        await SessionsClient.Ok(client.PostAsync("token/generate", phone.OnDevice("other").Body()));
        var management = factory.Services.GetRequiredService<IGrainFactory>().GetGrain<IManagementGrain>(0);

        factory.Clock.Advance(TimeSpan.FromDays(29));
        await management.ForceActivationCollection(TimeSpan.Zero);
        var kept = await StoredKeysAsync(port, phone);
        var replayWithin = await client.PostAsync("mfa/token/regenerate", phone.Body(("key", mfa.Key)));
        factory.Clock.Advance(TimeSpan.FromDays(2));
        await management.ForceActivationCollection(TimeSpan.Zero);
        var afterRetention = await StoredKeysAsync(port, phone);

        Assert.Contains(kept, key => key.Contains(phone.DeviceId!, StringComparison.Ordinal));
        Assert.Equal(1597, replayWithin.Code);
        Assert.DoesNotContain(afterRetention, key => key.Contains("device-session", StringComparison.Ordinal));
        Assert.Contains(afterRetention, key => key.Contains("/identifier/", StringComparison.Ordinal));
    }

    [Fact]
    public async Task ADeviceNeverUsedAgainLeavesTheStoreOnceItsKeyHasEnded()
    {
        var port = FreePort.Next();
        await using var factory = ApiWithStorePort(port);
        var client = factory.CreateSessionsClient();
        var uninstalled = TestDevice.NewMobile();
        var inUse = TestDevice.NewMobile();
        await client.LoginAsync(uninstalled);
        var key = (await client.LoginAsync(inUse)).Key;
        var grains = factory.Services.GetRequiredService<IGrainFactory>();
        var management = grains.GetGrain<IManagementGrain>(0);
        await management.ForceActivationCollection(TimeSpan.Zero);

        factory.Clock.Advance(TimeSpan.FromDays(60));
        key = (await SessionsClient.Ok(client.PostAsync("token/regenerate", inUse.Body(("key", key))))).Key ?? key;
        await management.ForceActivationCollection(TimeSpan.Zero);
        factory.Clock.Advance(TimeSpan.FromDays(31));
        var beforeTheSweep = await StoredKeysAsync(port, uninstalled);
        var sweep = await grains.GetGrain<IStoreSweepGrain>(IStoreSweepGrain.Key).SweepAsync();
        var afterTheSweep = await StoredKeysAsync(port, uninstalled);

        Assert.Contains(beforeTheSweep, k => k.Contains("/device-session/", StringComparison.Ordinal));
        Assert.DoesNotContain(afterTheSweep, k => k.Contains("/device-session/", StringComparison.Ordinal));
        Assert.Contains(afterTheSweep, k => k.Contains("/identifier/", StringComparison.Ordinal));
        Assert.Contains(await StoredKeysAsync(port, inUse), k => k.Contains("/device-session/", StringComparison.Ordinal));
        Assert.True((await client.PostAsync("token/regenerate", inUse.Body(("key", key)))).Success, "a key used within its idle limit survives the sweep");
        Assert.Equal(1, sweep.Removed);
        Assert.Equal(1, sweep.Tidied);
    }

    [Fact]
    public async Task GuessesAtIdentifiersNoOneOwnsLeaveNothingInTheStoreOnceTheirWindowsEnd()
    {
        var port = FreePort.Next();
        await using var factory = ApiWithStorePort(port);
        var client = factory.CreateSessionsClient();
        var guessed = Enumerable.Range(0, 5).Select(_ => TestDevice.NewMobile()).ToList();
        foreach (var device in guessed)
        {
            var sessionId = await client.StartLoginAsync(device);
            var otp = await client.LatestOtpAsync(device);
            var wrong = otp[..^1] + (otp[^1] == '0' ? '1' : '0');
            var guess = await client.PostAsync("otp/validate", device.Body(("sessionId", sessionId), ("otp", wrong)));
            Assert.False(guess.Success);
        }
        var grains = factory.Services.GetRequiredService<IGrainFactory>();
        // The grains deactivate while the failures still count: their states stay, and nothing activates them again.
        await grains.GetGrain<IManagementGrain>(0).ForceActivationCollection(TimeSpan.Zero);
        var stored = await StoredKeysAsync(port, guessed[0]);

        factory.Clock.Advance(TimeSpan.FromMinutes(31));
        var sweep = await grains.GetGrain<IStoreSweepGrain>(IStoreSweepGrain.Key).SweepAsync();

        Assert.Contains(stored, k => k.Contains("/identifier/", StringComparison.Ordinal));
        foreach (var device in guessed)
        {
            Assert.Empty(await StoredKeysAsync(port, device));
        }
        Assert.Equal(guessed.Count * 2, sweep.Removed);
    }

    [Fact]
    public async Task AFloodOfGuessedIdentifiersIsSweptAwayWhateverItsSize()
    {
        var port = FreePort.Next();
        await using var factory = ApiWithStorePort(port);
        // Many pages of the sweep's reads, and one state it cannot read, which must not stop it.
        var flood = await StoreEndedIdentifiersAsync(factory, port, 1_200);
        var unreadable = TestStore.StateKey("sessions", "identifier", GrainKeys.Identifier(new(TestBrands.Demo, IdentifierType.EMAIL, $"unreadable{Guid.NewGuid():N}@example.com")));
        await using (var redis = await ConnectionMultiplexer.ConnectAsync($"127.0.0.1:{port}"))
        {
            await redis.GetDatabase().HashSetAsync(unreadable, [new("etag", "written-by-test"), new("data", "not a state"u8.ToArray())]);
        }

        var sweep = await factory.Services.GetRequiredService<IGrainFactory>().GetGrain<IStoreSweepGrain>(IStoreSweepGrain.Key).SweepAsync();

        Assert.Equal((1_201L, 1_200L, 1_200L, 0L), (sweep.Read, sweep.Tidied, sweep.Removed, sweep.Failed));
        Assert.Empty(await StoredKeysAsync(port, flood));
        Assert.Single(await StoredKeysAsync(port, unreadable));
    }

    [Fact]
    public async Task TheStoreIsSweptByItsReminderOnceADay()
    {
        var port = FreePort.Next();
        await using var factory = ApiWithStorePort(port);
        var sweepGrain = GrainId.Create("store-sweep", IStoreSweepGrain.Key);
        var reminders = factory.Services.GetRequiredService<IReminderTable>();
        await Eventually.HoldsAsync(async () => await reminders.ReadRow(sweepGrain, "sweep") is not null, TimeSpan.FromSeconds(30), "the silo schedules the sweep as it starts");
        var reminder = factory.Services.GetRequiredService<IGrainFactory>().GetGrain<IRemindable>(sweepGrain);
        Task TickAsync() => reminder.ReceiveReminder("sweep", new TickStatus(DateTime.UtcNow, TimeSpan.FromHours(1), DateTime.UtcNow));

        var first = await StoreEndedIdentifiersAsync(factory, port, 3);
        await TickAsync();
        await Eventually.HoldsAsync(async () => (await StoredKeysAsync(port, first)).Count == 0, TimeSpan.FromSeconds(30), "the first tick sweeps");
        var second = await StoreEndedIdentifiersAsync(factory, port, 3);
        factory.Clock.Advance(TimeSpan.FromHours(23));
        await TickAsync();
        await Task.Delay(TimeSpan.FromSeconds(1));
        var withinTheDay = await StoredKeysAsync(port, second);
        factory.Clock.Advance(TimeSpan.FromHours(1));
        await TickAsync();

        Assert.Equal(3, withinTheDay.Count);
        await Eventually.HoldsAsync(async () => (await StoredKeysAsync(port, second)).Count == 0, TimeSpan.FromSeconds(30), "a day after the last sweep, the next tick sweeps");
    }

    [Fact]
    public async Task StrangersOpeningWebLoginsNeverEndABrowsersPendingLogin()
    {
        await using var factory = new ApiFactory();
        var client = factory.CreateSessionsClient();
        var browser = TestDevice.NewBrowser();
        var sessionId = await client.StartWebLoginAsync(browser);
        var otp = await client.LatestOtpAsync(browser);

        var strangers = new List<ApiResponse>();
        for (var i = 0; i < 25; i++)
        {
            strangers.Add(await client.PostAsync("web/token/generate", browser.Body()));
        }
        var validated = await client.PostAsync("web/otp/validate", browser.Body(("sessionId", sessionId), ("otp", otp)));

        Assert.True(validated.Success, validated.Body.ToString());
        Assert.Equal(19, strangers.Count(s => s.Success));
        Assert.All(strangers.Where(s => !s.Success), s => Assert.Equal(1534, s.Code));
    }

    /// <summary>The API, its embedded store also on <paramref name="port"/>, where a test reads what the store holds.</summary>
    private static ApiFactory ApiWithStorePort(int port) =>
        new(settings: new() { ["Sessions:Storage:EmbeddedPort"] = port.ToString(CultureInfo.InvariantCulture) });

    /// <summary>The store's keys that belong to the identifier: its grain and its device sessions' grains.</summary>
    private static Task<List<string>> StoredKeysAsync(int port, TestDevice device) =>
        StoredKeysAsync(port, $"*/{device.IdentifierType}/{device.IdentifierValue}*");

    private static async Task<List<string>> StoredKeysAsync(int port, string pattern)
    {
        await using var redis = await ConnectionMultiplexer.ConnectAsync($"127.0.0.1:{port}");
        return await redis.GetServers()[0].KeysAsync(pattern: pattern).Select(key => (string)key!).ToListAsync();
    }

    /// <summary>
    /// Writes what a flood of guesses long ago leaves behind: identifiers with one failure each, two hours old, and no
    /// owner. Answers the pattern of their keys.
    /// </summary>
    private static async Task<string> StoreEndedIdentifiersAsync(ApiFactory factory, int port, int count)
    {
        var data = factory.Services.GetRequiredService<Serializer>().SerializeToArray(new IdentifierState { Failures = [factory.Clock.GetUtcNow().AddHours(-2)] });
        var prefix = $"flood{Guid.NewGuid():N}"[..16];
        await using var redis = await ConnectionMultiplexer.ConnectAsync($"127.0.0.1:{port}");
        var database = redis.GetDatabase();
        await Task.WhenAll(Enumerable.Range(0, count).Select(i => database.HashSetAsync(
            TestStore.StateKey("sessions", "identifier", GrainKeys.Identifier(new(TestBrands.Demo, IdentifierType.EMAIL, $"{prefix}{i}@example.com"))),
            [new("etag", "written-by-test"), new("data", data)])));
        return $"*{prefix}*";
    }
}
