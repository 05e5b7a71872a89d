using System.Globalization;
using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Orleans;
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
        await using var factory = new ApiFactory(settings: new() { ["Sessions:Storage:EmbeddedPort"] = port.ToString(CultureInfo.InvariantCulture) });
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
        await using var factory = new ApiFactory(settings: new() { ["Sessions:Storage:EmbeddedPort"] = port.ToString(CultureInfo.InvariantCulture) });
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

    /// <summary>The store's keys that belong to the identifier: its grain and its device sessions' grains.</summary>
    private static async Task<List<string>> StoredKeysAsync(int port, TestDevice device)
    {
        await using var redis = await ConnectionMultiplexer.ConnectAsync($"127.0.0.1:{port}");
        var server = redis.GetServers()[0];
        var keys = new List<string>();
        await foreach (var key in server.KeysAsync(pattern: $"*/{device.IdentifierType}/{device.IdentifierValue}*"))
        {
            keys.Add(key!);
        }
        return keys;
    }
}
