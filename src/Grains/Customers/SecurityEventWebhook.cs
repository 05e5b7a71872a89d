using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Sessions.Grains.Configuration;
using Sessions.Grains.Contracts;

namespace Sessions.Grains.Customers;

/// <summary>
/// Posts each new line of a customer's security history to <c>Sessions:SecurityEvents:Webhook:Url</c>, signed as the OTP
/// webhook is (<see cref="SignedWebhook"/>), so that a brand can tell its customer:
/// "your e-mail address was changed", "a new sign-in", "someone used a copy of your session". The body names the
/// customer by id and holds no secret and no identifier in clear (they are masked as in the history).
/// </summary>
/// <remarks>
/// Delivery is off the call that caused the event, which it never slows or fails: tried at once, then 2 s, 10 s, 1 min,
/// 5 min and 15 min after the try before, so that an endpoint down for a deployment of its own gets the events once it
/// is back; an event not delivered by then is logged (2006) and dropped. The customer's history stores each event with
/// its pending delivery and is told when the delivery ends (<see cref="ISecurityEventDeliveries"/>); while one waits for
/// a retry the history keeps a reminder, so a silo that crashes or stops loses none: another resumes the schedule. At
/// most <see cref="MaxDelivering"/> deliveries are under way in one silo; the rest wait for their history's reminder.
/// The <c>id</c> is the same on every try and from every silo, so a receiver can drop a repeat.
/// </remarks>
public sealed partial class SecurityEventWebhook(IHttpClientFactory httpClients, IOptions<SessionsOptions> options,
    [FromKeyedServices(ServiceKeys.Clock)] TimeProvider clock, ILogger<SecurityEventWebhook> logger) : IDisposable
{
    // Each delivery under way holds its body, a task and a timer in this process.
    public const int MaxDelivering = 10_000;

    // When each try is due, counted from the first: at once, then 2 s, 10 s, 1 min, 5 min and 15 min after the one before.
    private static readonly TimeSpan[] TryOffsets =
        [TimeSpan.Zero, TimeSpan.FromSeconds(2), TimeSpan.FromSeconds(12), TimeSpan.FromSeconds(72), TimeSpan.FromSeconds(372), TimeSpan.FromSeconds(1272)];

    private readonly CancellationTokenSource _stopping = new();
    private int _delivering;
    private int _deferredSinceDelivery;

    /// <summary>How long after its first try a delivery is given up.</summary>
    public static TimeSpan Schedule => TryOffsets[^1];

    public bool IsEnabled => !string.IsNullOrEmpty(options.Value.SecurityEvents.Webhook.Url);

    /// <summary>
    /// Starts the delivery of <paramref name="delivery"/>, of the customer <paramref name="customerId"/> of
    /// <paramref name="brand"/>, which reports to <paramref name="history"/>; false when this silo has too many under way.
    /// A <paramref name="resumed"/> delivery (its first try was made or due before: on another silo, or before a restart)
    /// goes on with the tries not yet due; a new one makes every try of the schedule, however late it starts.
    /// </summary>
    public bool Deliver(string brand, string customerId, PendingSecurityEvent delivery, ISecurityEventDeliveries history, bool resumed)
    {
        if (!IsEnabled || _stopping.IsCancellationRequested)
        {
            return false;
        }
        if (Interlocked.Increment(ref _delivering) > MaxDelivering)
        {
            Interlocked.Decrement(ref _delivering);
            if (Interlocked.Increment(ref _deferredSinceDelivery) == 1)
            {
                LogDeferred(SecurityEventKinds.Name(delivery.Event.Kind), brand, MaxDelivering);
            }
            return false;
        }
        var securityEvent = delivery.Event;
        var body = JsonSerializer.SerializeToUtf8Bytes(new SecurityEventPayload(
            delivery.Id, brand, customerId, SecurityEventKinds.Name(securityEvent.Kind), securityEvent.At,
            securityEvent.Identifier, securityEvent.Device, securityEvent.Flow, securityEvent.FamilyId, securityEvent.Factor,
            securityEvent.Reason, securityEvent.Detail), SecurityEventJson.Default.SecurityEventPayload);
        // Off the grain's turn: the delivery touches no grain state and may take minutes.
        _ = Task.Run(() => DeliverAsync(body, delivery, brand, history, resumed));
        return true;
    }

    public void Dispose()
    {
        // The silo stops: the deliveries under way end here, untold; their histories' reminders resume them elsewhere.
        _stopping.Cancel();
        _stopping.Dispose();
    }

    private async Task DeliverAsync(byte[] body, PendingSecurityEvent delivery, string brand, ISecurityEventDeliveries history, bool resumed)
    {
        try
        {
            // The next try due after this one: the second for a new event, even where a slow store write or a busy
            // silo made its first try late; for a resumed one the first not yet due, so the try made at once stands for
            // those that are.
            var next = resumed ? TryOffsets.Count(offset => delivery.FirstTriedAt + offset <= clock.GetUtcNow()) : 1;
            for (var attempt = 1; ; attempt++, next++)
            {
                if (await TrySendAsync(body))
                {
                    Volatile.Write(ref _deferredSinceDelivery, 0);
                    break;
                }
                if (attempt == 1)
                {
                    await TellAsync(() => history.DeliveryWaitingAsync());
                }
                if (next >= TryOffsets.Length)
                {
                    LogNotDelivered(SecurityEventKinds.Name(delivery.Event.Kind), brand, attempt);
                    break;
                }
                var wait = delivery.FirstTriedAt + TryOffsets[next] - clock.GetUtcNow();
                if (wait > TimeSpan.Zero)
                {
                    await Task.Delay(wait, clock, _stopping.Token);
                }
            }
            await TellAsync(() => history.DeliveryEndedAsync(delivery.Id));
        }
        catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException)
        {
            // Stopping.
        }
        finally
        {
            Interlocked.Decrement(ref _delivering);
        }
    }

    /// <summary>Reports to the history; one it does not hear sends the event once more later, with the same id.</summary>
    private async Task TellAsync(Func<Task> report)
    {
        try
        {
            await report();
        }
        catch (Exception e)
        {
            // A silo moving the history, or its store down: the delivery itself is done either way.
            LogNotTold(e);
        }
    }

    private async Task<bool> TrySendAsync(byte[] body)
    {
        try
        {
            var status = await SignedWebhook.PostAsync(httpClients.CreateClient(nameof(SecurityEventWebhook)), options.Value.SecurityEvents.Webhook,
                body, CancellationToken.None);
            return (int)status is >= 200 and <= 299;
        }
        catch (Exception e) when (e is HttpRequestException or OperationCanceledException or InvalidOperationException)
        {
            // Unreachable, timed out, or a URL the client cannot send to: tried again, then logged.
            return false;
        }
    }

    [LoggerMessage(EventId = 2006, Level = LogLevel.Warning,
        Message = "Security event {Kind} of brand {Brand} was not delivered to the security events webhook after {Attempts} attempts")]
    private partial void LogNotDelivered(string kind, string brand, int attempts);

    [LoggerMessage(EventId = 2007, Level = LogLevel.Warning,
        Message = "Security event {Kind} of brand {Brand} deferred: {MaxDelivering} deliveries are already under way in this silo; its customer's reminder tries it again within a minute; further deferrals are logged after the next delivery")]
    private partial void LogDeferred(string kind, string brand, int maxDelivering);

    [LoggerMessage(EventId = 2012, Level = LogLevel.Warning,
        Message = "A customer's history could not be told about a security event's delivery; the event may be sent again later, with the same id")]
    private partial void LogNotTold(Exception exception);
}

internal sealed record SecurityEventPayload(
    string Id, string Brand, string CustomerId, string Kind, DateTimeOffset At, string Identifier, string Device,
    string? Flow, string? FamilyId, string? Factor, string? Reason, string? Detail);

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase)]
[JsonSerializable(typeof(SecurityEventPayload))]
internal sealed partial class SecurityEventJson : JsonSerializerContext;
