using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Orleans.Storage;
using Sessions.Grains.Customers;
using Sessions.Grains.Identity;
using Sessions.Grains.StoreSweep;
using Sessions.Tests.Infrastructure;

namespace Sessions.Tests.Api;

/// <summary>
/// The security events webhook (README, "Operations"): each new line of a customer's security history reaches the
/// brand's endpoint, signed, naming the customer by id and no identifier in clear, so that the brand can tell its
/// customer; a thief's replays are one event, not a flood; an endpoint that is down never fails a call; and an event
/// still waiting for it when the service stops is delivered after the restart (a silo crash: SiloCrashTests).
/// </summary>
public sealed class SecurityEventWebhookTests : IAsyncLifetime
{
    private const string WebhookSecret = "security-events-secret-of-32-characters!";
    private WebhookReceiver _webhook = null!;

    public async Task InitializeAsync() => _webhook = await WebhookReceiver.StartAsync();

    public async Task DisposeAsync() => await _webhook.DisposeAsync();

    [Fact]
    public async Task EachNewLineOfTheHistoryIsPostedSignedNamingTheCustomerAndNoIdentifierInClear()
    {
        await using var factory = WebhookFactory("/events");
        var client = factory.CreateSessionsClient();
        var phone = TestDevice.NewMobile();
        var login = await client.LoginAsync(phone);
        var newNumber = TestDevice.NewMobile().IdentifierValue;

        Assert.True((await client.ChangeIdentifierAsync(phone, login.Token!, newNumber)).Success);
        var events = await ReceivedAsync(all => all.Any(e => e.Kind == "IDENTIFIER_CHANGED") && all.Any(e => e.Kind == "LOGIN"));

        var customerId = Jwt.Payload(login.Token!).GetProperty("uid").GetString();
        Assert.Contains(events, e => e.Kind == "LOGIN" && e.Json.GetProperty("factor").GetString() == "otp");
        var changed = Assert.Single(events, e => e.Kind == "IDENTIFIER_CHANGED");
        Assert.Equal(customerId, changed.Json.GetProperty("customerId").GetString());
        Assert.Equal(TestBrands.Demo, changed.Json.GetProperty("brand").GetString());
        Assert.EndsWith(newNumber[^3..], changed.Json.GetProperty("detail").GetString(), StringComparison.Ordinal);
        Assert.All(events, e =>
        {
            Assert.Equal(Sign(e.Body), e.Signature);
            Assert.DoesNotContain(phone.IdentifierValue, e.Body, StringComparison.Ordinal);
            Assert.DoesNotContain(newNumber, e.Body, StringComparison.Ordinal);
            Assert.DoesNotContain(login.Token!, e.Body, StringComparison.Ordinal);
        });
        Assert.Equal(events.Count, events.Select(e => e.Json.GetProperty("id").GetString()).Distinct().Count());
        // Delivered, nothing is left for the store sweep to wake.
        await WaitingMarksAsync(factory, expected: 0);
    }

    [Fact]
    public async Task AThiefTryingACopiedKeyAgainAndAgainIsOneEvent()
    {
        await using var factory = WebhookFactory("/events");
        var client = factory.CreateSessionsClient();
        using var ownersKey = new DeviceKey(factory.Clock);
        using var thiefsKey = new DeviceKey(factory.Clock);
        var phone = TestDevice.NewMobile(TestBrands.Bound);
        var login = await client.LoginAsync(phone, ownersKey);

        var tries = new List<ApiResponse>();
        for (var i = 0; i < 5; i++)
        {
            tries.Add(await client.PostWithProofAsync("token/regenerate", phone.Body(("key", login.Key)), thiefsKey));
        }
        // A later event of the same customer, to wait for: each try was recorded (or counted) before it was answered.
        await client.LoginAsync(phone.OnDevice(TestDevice.NewDeviceId()));
        var events = await ReceivedAsync(all => all.Count(e => e.Kind == "LOGIN") == 2);

        Assert.All(tries, t => Assert.Equal(1561, t.Code));
        Assert.Single(events, e => e.Kind == "DEVICE_KEY_MISMATCH");
    }

    [Fact]
    public async Task AWebhookDownForMinutesNeverFailsALoginAndGetsTheEventOnceItIsBack()
    {
        var logs = new CapturedLogs();
        await using var factory = WebhookFactory("/flaky", logs);
        var client = factory.CreateSessionsClient();
        var phone = TestDevice.NewMobile();
        // Refused at once and 2 s, 10 s, 1 min and 5 min later: taken 15 min after that, the schedule's last try.
        _webhook.FlakyRefusals = 5;

        var login = await client.LoginAsync(phone);
        await Eventually.HoldsAdvancingAsync(factory.Clock, TimeSpan.FromSeconds(30), () => !_webhook.Received.IsEmpty, "the event taken");

        Assert.True(login.Success);
        var (body, signature) = Assert.Single(_webhook.Received);
        Assert.Equal("LOGIN", JsonDocument.Parse(body).RootElement.GetProperty("kind").GetString());
        Assert.Equal(Sign(body), signature);
        Assert.Equal(6, _webhook.FlakyCalls);
        Assert.DoesNotContain(logs.Entries, e => e.EventId.Id == 2006);
        await RemindersAsync(factory, expected: 0);
        await WaitingMarksAsync(factory, expected: 0);
    }

    [Fact]
    public async Task AnEventTheEndpointRefusesForTheWholeScheduleIsLoggedAndDropped()
    {
        var logs = new CapturedLogs();
        await using var factory = WebhookFactory("/down", logs);
        var client = factory.CreateSessionsClient();

        var login = await client.LoginAsync(TestDevice.NewMobile());
        await Eventually.HoldsAdvancingAsync(factory.Clock, TimeSpan.FromSeconds(30), () => logs.Entries.Any(e => e.EventId.Id == 2006), "the event given up");

        Assert.True(login.Success);
        var notDelivered = Assert.Single(logs.Entries, e => e.EventId.Id == 2006);
        Assert.Equal(("LOGIN", "6"), (notDelivered.Values["Kind"], notDelivered.Values["Attempts"]));
        Assert.Empty(_webhook.Received);
    }

    [Fact]
    public async Task AnEventWaitingForARetryWhenTheServiceStopsIsDeliveredOnceItRunsAgainWithTheSameId()
    {
        var dataDirectory = TempDirectory.Create("webhook-restart");
        _webhook.FlakyRefusals = int.MaxValue;
        string refused;
        await using (var before = WebhookFactory("/flaky", dataDirectory: dataDirectory))
        {
            Assert.True((await before.CreateSessionsClient().LoginAsync(TestDevice.NewMobile())).Success);
            refused = await FirstRefusedAsync();
            await RemindersAsync(before, expected: 1);
            await WaitingMarksAsync(before, expected: 1);
        }

        // Back up while the service was down; nothing calls the customer's history after the restart.
        _webhook.FlakyRefusals = _webhook.FlakyCalls;
        await using var after = WebhookFactory("/flaky", dataDirectory: dataDirectory);
        _ = after.Services;
        var events = await ReceivedAsync(all => all.Count > 0, TimeSpan.FromSeconds(100));

        var delivered = Assert.Single(events);
        Assert.Equal("LOGIN", delivered.Kind);
        Assert.Equal(JsonDocument.Parse(refused).RootElement.GetProperty("id").GetString(), delivered.Json.GetProperty("id").GetString());
        Assert.Equal(Sign(delivered.Body), delivered.Signature);
        await RemindersAsync(after, expected: 0);
        await WaitingMarksAsync(after, expected: 0);
    }

    [Fact]
    public async Task AnEventStillWaitingWhenTheBrandSwitchesTheWebhookOffIsDroppedWithItsReminder()
    {
        var dataDirectory = TempDirectory.Create("webhook-off");
        await using (var before = WebhookFactory("/down", dataDirectory: dataDirectory))
        {
            Assert.True((await before.CreateSessionsClient().LoginAsync(TestDevice.NewMobile())).Success);
            await FirstRefusedAsync();
            await RemindersAsync(before, expected: 1);
        }

        // Started again with no webhook: the reminder's next tick finds nothing that would take the event.
        await using var after = new ApiFactory(dataDirectory);
        await RemindersAsync(after, expected: 0, within: TimeSpan.FromSeconds(100));

        Assert.Empty(_webhook.Received);
        await WaitingMarksAsync(after, expected: 0);
    }

    [Fact]
    public async Task AMarkACrashLeftBehindNeitherBlocksTheNextEventNorOutlivesTheNextSweep()
    {
        var settings = TestAdminKeys.Settings();
        settings["Sessions:SecurityEvents:Webhook:Url"] = _webhook.Url + "/events";
        settings["Sessions:SecurityEvents:Webhook:Secret"] = WebhookSecret;
        await using var factory = new ApiFactory(settings: settings);
        var client = factory.CreateSessionsClient();
        var phone = TestDevice.NewMobile();
        var customerId = Jwt.Payload((await client.LoginAsync(phone)).Token!).GetProperty("uid").GetString()!;
        await WaitingMarksAsync(factory, expected: 0);

        // What a crash between the mark's write and the history's leaves: a mark, and a history with nothing waiting
        // whose next activation does not know of it.
        var history = GrainId.Create("customer-history", GrainKeys.Customer(TestBrands.Demo, customerId));
        var storage = factory.Services.GetRequiredKeyedService<IGrainStorage>("sessions");
        await storage.WriteStateAsync("customer-history-waiting", history, new GrainState<EventsWaitingMark>(new() { Since = factory.Clock.GetUtcNow() }));
        await factory.Services.GetRequiredService<IGrainFactory>().GetGrain<IManagementGrain>(0).ForceActivationCollection(TimeSpan.Zero);
        await WaitingMarksAsync(factory, expected: 1);

        // The customer's next event is recorded and delivered as any, and takes the mark with it.
        Assert.True((await client.LoginAsync(phone.OnDevice(TestDevice.NewDeviceId()))).Success);
        await ReceivedAsync(all => all.Count(e => e.Kind == "LOGIN") == 2);
        using var listed = await client.SendAdminAsync(HttpMethod.Get, $"/admin/v1/brands/{TestBrands.Demo}/customers/{customerId}/events", TestAdminKeys.Support);
        Assert.Equal(2, (await listed.OkJsonAsync()).GetProperty("events").EnumerateArray().Count(e => e.GetProperty("kind").GetString() == "LOGIN"));
        await WaitingMarksAsync(factory, expected: 0);

        // Left again with no event after it: the sweep wakes the history, which finds nothing waiting and drops it.
        await storage.WriteStateAsync("customer-history-waiting", history, new GrainState<EventsWaitingMark>(new() { Since = factory.Clock.GetUtcNow() }));
        await factory.Services.GetRequiredService<IGrainFactory>().GetGrain<IManagementGrain>(0).ForceActivationCollection(TimeSpan.Zero);
        await client.SweepStoreAsync(TestAdminKeys.Support);
        await WaitingMarksAsync(factory, expected: 0);
        Assert.Equal(2, _webhook.Received.Count);
    }

    /// <summary>
    /// Waits (10 s at most, unless <paramref name="within"/>) until the service's reminder table holds
    /// <paramref name="expected"/> reminders of customers' histories (the store sweep keeps one of its own).
    /// </summary>
    private static Task RemindersAsync(ApiFactory factory, int expected, TimeSpan? within = null)
    {
        var table = factory.Services.GetRequiredService<IReminderTable>();
        // (0, 0]: every reminder, whatever its grain's hash.
        return Eventually.HoldsAsync(async () => (await table.ReadRows(0u, 0u)).Reminders.Count(r => r.GrainId.Type.ToString() == "customer-history") == expected,
            within ?? TimeSpan.FromSeconds(10), $"{expected} history reminder(s) in the table");
    }

    /// <summary>
    /// Waits (10 s at most) until the store holds <paramref name="expected"/> marks of customers' histories with events
    /// waiting for the webhook: what the store sweep looks for.
    /// </summary>
    private static Task WaitingMarksAsync(ApiFactory factory, int expected)
    {
        var stored = factory.Services.GetRequiredService<IStoredStates>();
        return Eventually.HoldsAsync(async () =>
        {
            var marks = 0;
            string? cursor = null;
            do
            {
                var page = await stored.ReadPageAsync(GrainType.Create("customer-history"), "customer-history-waiting", cursor, 500);
                marks += page.States.Count;
                cursor = page.Cursor;
            }
            while (cursor is not null);
            return marks == expected;
        }, TimeSpan.FromSeconds(10), $"{expected} waiting mark(s) in the store");
    }

    /// <summary>The first body the endpoint refused (10 s at most).</summary>
    private async Task<string> FirstRefusedAsync()
    {
        await Eventually.HoldsAsync(() => !_webhook.Refused.IsEmpty, TimeSpan.FromSeconds(10), "the endpoint called");
        return _webhook.Refused.First();
    }

    /// <summary>What the webhook received once it is <paramref name="complete"/> (10 s at most, unless <paramref name="within"/>).</summary>
    private async Task<List<Received>> ReceivedAsync(Func<List<Received>, bool> complete, TimeSpan? within = null)
    {
        var deadline = DateTime.UtcNow + (within ?? TimeSpan.FromSeconds(10));
        while (true)
        {
            var events = _webhook.Received.Select(r => new Received(r.Body, r.Signature, JsonDocument.Parse(r.Body).RootElement)).ToList();
            if (complete(events) || DateTime.UtcNow > deadline)
            {
                return events;
            }
            await Task.Delay(50);
        }
    }

    private static string Sign(string body) =>
        "sha256=" + Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(WebhookSecret), Encoding.UTF8.GetBytes(body)));

    private ApiFactory WebhookFactory(string path, CapturedLogs? logs = null, string? dataDirectory = null) => new(dataDirectory, settings: new()
    {
        ["Sessions:SecurityEvents:Webhook:Url"] = _webhook.Url + path,
        ["Sessions:SecurityEvents:Webhook:Secret"] = WebhookSecret,
    }, services: logs is null ? null : s => s.AddSingleton<ILoggerProvider>(logs));

    private sealed record Received(string Body, string Signature, JsonElement Json)
    {
        public string? Kind => Json.GetProperty("kind").GetString();
    }
}
