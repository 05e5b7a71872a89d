using System.Globalization;
using System.Net;
using Sessions.Grains.Identity;
using Sessions.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using StackExchange.Redis;

namespace Sessions.Tests.Api;

public sealed class StorageFailureTests : IAsyncLifetime
{
    [Fact]
    public async Task AWriteConflictOnRegenerateIsRetriedOnAFreshActivationAndTheClientSeesSuccess()
    {
        var (client, device, login, port) = await LoggedInWithStorePortAsync();

        await OverwriteEtagAsync(port, device);
        var regenerated = await client.PostAsync("mfa/token/regenerate", device.Body(("key", login.Key)));
        var next = await client.PostAsync("mfa/token/regenerate", device.Body(("key", regenerated.Key)));

        Assert.True(regenerated.Success, regenerated.Body.ToString());
        Assert.NotEqual(login.Key, regenerated.Key);
        Assert.True(next.Success, next.Body.ToString());
    }

    [Fact]
    public async Task AWriteConflictOnLogoutIsServiceUnavailableWithRetryAfterAndTheRetrySucceeds()
    {
        var (client, device, login, port) = await LoggedInWithStorePortAsync();

        await OverwriteEtagAsync(port, device);
        var conflict = await client.PostAsync("mfa/token/expire", device.Body(("token", login.Token)));
        var retry = await client.PostAsync("mfa/token/expire", device.Body(("token", login.Token)));

        Assert.Equal((HttpStatusCode.ServiceUnavailable, 1599), (conflict.Status, conflict.Code));
        Assert.True(conflict.Raw.Headers.RetryAfter is not null);
        Assert.True(retry.Success, retry.Body.ToString());
    }

    [Fact]
    public async Task AStoreThatIsGoneIsServiceUnavailableNotAnError()
    {
        await using var factory = new ApiFactory();
        var (client, _) = await factory.StopStoreAfterLoginsAsync(1);

        var response = await client.PostAsync("token/generate", TestDevice.NewMobile().Body());

        Assert.Equal((HttpStatusCode.ServiceUnavailable, 1599), (response.Status, response.Code));
        Assert.True(response.Raw.Headers.RetryAfter is not null);
    }

    [Fact]
    public async Task AStoreThatIsGoneIsAnsweredToABrandsWebsiteWithTheHeadersItsScriptNeedsToReadIt()
    {
        await using var factory = new ApiFactory();
        var (client, _) = await factory.StopStoreAfterLoginsAsync(1);

        var response = await client.PostFromAsync(TestBrands.DemoWebsite, "web/token/generate", TestDevice.NewBrowser().Body());

        Assert.Equal((HttpStatusCode.ServiceUnavailable, 1599), (response.Status, response.Code));
        Assert.Equal(TestBrands.DemoWebsite, response.Raw.Header("Access-Control-Allow-Origin"));
        Assert.Contains("retry-after", response.Raw.Header("Access-Control-Expose-Headers")!.ToLowerInvariant(), StringComparison.Ordinal);
    }

    /// <summary>
    /// A regenerate the store fails is tried again for a whole schedule (about 1.75 s), in case the store only blinked.
    /// Once the store has failed every call for longer than that, a refusal is answered at once: an outage does not hold
    /// every request for the schedule and call the store five times for each (README, "Crashes and restarts").
    /// </summary>
    [Fact]
    public async Task AStoreOutageThatOutlastsTheRetriesIsAnsweredAtOnce()
    {
        var logs = new CapturedLogs();
        await using var factory = new ApiFactory(services: s => s.AddSingleton<ILoggerProvider>(logs));
        var (client, customers) = await factory.StopStoreAfterLoginsAsync(6);
        using var retries = new HostCounter(factory.Services, "sessions.retries");
        using var answeredAtOnce = new HostCounter(factory.Services, "sessions.retries.skipped");

        var first = await client.PostAsync("token/regenerate", customers[0].Phone.Body(("key", customers[0].Key)));
        var retriedFirst = retries.Total;
        var later = await Task.WhenAll(customers.Skip(1).Select(c => client.PostAsync("token/regenerate", c.Phone.Body(("key", c.Key)))));

        Assert.All(later.Prepend(first), a => Assert.Equal((HttpStatusCode.ServiceUnavailable, 1599), (a.Status, a.Code)));
        Assert.Equal(4, retriedFirst);
        Assert.Equal(retriedFirst, retries.Total);
        Assert.Equal(later.Length, answeredAtOnce.Total);
        Assert.Single(logs.Entries, e => e.EventId.Id == 2008 && e.Level == LogLevel.Warning);
    }

    [Fact]
    public async Task AnOutageOutlastsAPauseOfSecondsButNotTenSecondsWithoutACall()
    {
        await using var factory = new ApiFactory();
        var (client, customers) = await factory.StopStoreAfterLoginsAsync(4);
        using var retries = new HostCounter(factory.Services, "sessions.retries");
        using var answeredAtOnce = new HostCounter(factory.Services, "sessions.retries.skipped");
        Task<ApiResponse> RegenerateAsync(int customer) => client.PostAsync("token/regenerate", customers[customer].Phone.Body(("key", customers[customer].Key)));
        await RegenerateAsync(0);
        await RegenerateAsync(1);
        var (retriedInTheOutage, answeredInTheOutage) = (retries.Total, answeredAtOnce.Total);

        // Longer than a schedule of retries, as a stalled process or sparse traffic leaves: still the same outage.
        await Task.Delay(TimeSpan.FromSeconds(3));
        var afterAPause = await RegenerateAsync(2);
        var (retriedAfterAPause, answeredAfterAPause) = (retries.Total, answeredAtOnce.Total);
        // Not asked for longer than 10 s: the next failure may be a new blink, and is retried.
        await Task.Delay(TimeSpan.FromSeconds(10.5));
        var afterQuiet = await RegenerateAsync(3);

        Assert.Equal((4, 1), (retriedInTheOutage, answeredInTheOutage));
        Assert.Equal(1599, afterAPause.Code);
        Assert.Equal((4, 2), (retriedAfterAPause, answeredAfterAPause));
        Assert.Equal(1599, afterQuiet.Code);
        Assert.Equal((8, 2), (retries.Total, answeredAtOnce.Total));
    }

    private ApiFactory? _factory;

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        if (_factory is not null)
        {
            await _factory.DisposeAsync();
        }
    }

    /// <summary>An API of this test's own, its embedded store on a known port, and one device logged in with MFA.</summary>
    private async Task<(SessionsClient Client, TestDevice Device, ApiResponse Login, int Port)> LoggedInWithStorePortAsync()
    {
        var port = FreePort.Next();
        _factory = new ApiFactory(settings: new() { ["Sessions:Storage:EmbeddedPort"] = port.ToString(CultureInfo.InvariantCulture) });
        var client = _factory.CreateSessionsClient();
        var device = TestDevice.NewMobile();
        return (client, device, await client.MfaLoginAsync(device, device), port);
    }

    /// <summary>Another writer's version on the device session's stored state: the grain's next write conflicts.</summary>
    private static async Task OverwriteEtagAsync(int port, TestDevice device)
    {
        var grainKey = GrainKeys.DeviceSession(new Identifier(device.Brand, IdentifierType.MOBILE, device.IdentifierValue), device.DeviceId!);
        await using var redis = await ConnectionMultiplexer.ConnectAsync($"127.0.0.1:{port}");
        await redis.GetDatabase().HashSetAsync(TestStore.StateKey("sessions", "device-session", grainKey), "etag", "another-writer");
    }
}
