using System.Collections.Concurrent;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using Sessions.Grains.Configuration;
using Sessions.Grains.Contracts;
using Sessions.Grains.Customers;
using Sessions.Tests.Infrastructure;

namespace Sessions.Tests.Api;

/// <summary>
/// The security events webhook's schedule of tries (at once, then 2 s, 12 s, 72 s, 372 s and 1,272 s after the first),
/// as the brand's endpoint sees it, on a clock the test moves: a new event gets every try however late its delivery
/// starts; one resumed after its silo stopped gets only the tries not yet due.
/// </summary>
public sealed class SecurityEventScheduleTests : IAsyncLifetime
{
    private readonly FakeTimeProvider _clock = new(DateTimeOffset.UtcNow);
    private readonly CapturedLogs _logs = new();
    private readonly DeliveryReports _history = new();
    private readonly ServiceProvider _httpClients = new ServiceCollection().AddHttpClient().BuildServiceProvider();
    private readonly ILoggerFactory _loggers;
    private WebhookReceiver _endpoint = null!;

    public SecurityEventScheduleTests() => _loggers = LoggerFactory.Create(logging => logging.AddProvider(_logs));

    public async Task InitializeAsync() => _endpoint = await WebhookReceiver.StartAsync();

    public async Task DisposeAsync()
    {
        await _endpoint.DisposeAsync();
        await _httpClients.DisposeAsync();
        _loggers.Dispose();
    }

    [Fact]
    public async Task ANewEventWhoseDeliveryStartsLateStillGetsEveryTryOfTheSchedule()
    {
        using var webhook = Webhook("/flaky");
        _endpoint.FlakyRefusals = 5;
        // Stamped when its history line was written, 30 s before the delivery starts: a store or a silo that slow, or
        // a clock that moved on meanwhile. The tries due at 2 s and 12 s are late, not skipped.
        var delivery = NewDelivery(firstTriedAt: _clock.GetUtcNow() - TimeSpan.FromSeconds(30));

        Assert.True(webhook.Deliver(TestBrands.Demo, "customer-late", delivery, _history, resumed: false));
        await AdvanceUntilEndedAsync(delivery);

        Assert.Equal(6, _endpoint.FlakyCalls);
        var (body, _) = Assert.Single(_endpoint.Received);
        Assert.Equal(delivery.Id, JsonDocument.Parse(body).RootElement.GetProperty("id").GetString());
        Assert.Equal(1, _history.Waiting);
        Assert.DoesNotContain(_logs.Entries, e => e.EventId.Id == 2006);
    }

    [Fact]
    public async Task AResumedEventMakesOnlyTheTriesNotYetDue()
    {
        using var webhook = Webhook("/down");
        // First tried 100 s ago on a silo that stopped since: the tries due at 0, 2 s, 12 s and 72 s fell due while no
        // silo held it, and the one made at once stands for them; 372 s and 1,272 s are still to come.
        var delivery = NewDelivery(firstTriedAt: _clock.GetUtcNow() - TimeSpan.FromSeconds(100));

        Assert.True(webhook.Deliver(TestBrands.Demo, "customer-resumed", delivery, _history, resumed: true));
        await AdvanceUntilEndedAsync(delivery);

        Assert.Equal(3, _endpoint.Refused.Count(body => JsonDocument.Parse(body).RootElement.GetProperty("id").GetString() == delivery.Id));
        var givenUp = Assert.Single(_logs.Entries, e => e.EventId.Id == 2006);
        Assert.Equal("3", givenUp.Values["Attempts"]);
    }

    /// <summary>Once the first try reached the endpoint, moves the clock on until the webhook tells the history that the delivery ended.</summary>
    private async Task AdvanceUntilEndedAsync(PendingSecurityEvent delivery)
    {
        await Eventually.HoldsAsync(() => _endpoint.FlakyCalls + _endpoint.Refused.Count + _endpoint.Received.Count > 0,
            TimeSpan.FromSeconds(10), "the first try");
        await Eventually.HoldsAdvancingAsync(_clock, TimeSpan.FromSeconds(30), () => _history.Ended.Contains(delivery.Id), "the delivery ended");
    }

    private SecurityEventWebhook Webhook(string path)
    {
        var options = new SessionsOptions();
        options.SecurityEvents.Webhook.Url = _endpoint.Url + path;
        options.SecurityEvents.Webhook.Secret = "security-events-secret-of-32-characters!";
        return new SecurityEventWebhook(_httpClients.GetRequiredService<IHttpClientFactory>(), Options.Create(options), _clock,
            _loggers.CreateLogger<SecurityEventWebhook>());
    }

    private PendingSecurityEvent NewDelivery(DateTimeOffset firstTriedAt) => new()
    {
        Id = Guid.NewGuid().ToString("N"),
        Event = new SecurityEvent { Kind = SecurityEventKind.Login, At = firstTriedAt, Identifier = "********102", Device = "phon***", Flow = "MFA", Factor = "otp" },
        FirstTriedAt = firstTriedAt,
    };

    /// <summary>Stands in for the customer's history grain: what the webhook told it.</summary>
    private sealed class DeliveryReports : ISecurityEventDeliveries
    {
        private int _waiting;

        public ConcurrentBag<string> Ended { get; } = [];

        public int Waiting => Volatile.Read(ref _waiting);

        public Task DeliveryWaitingAsync()
        {
            Interlocked.Increment(ref _waiting);
            return Task.CompletedTask;
        }

        public Task DeliveryEndedAsync(string deliveryId)
        {
            Ended.Add(deliveryId);
            return Task.CompletedTask;
        }
    }
}
