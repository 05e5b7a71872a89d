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
/// Delivery is off the call that caused the event, which it never slows or fails: tried at once, then after 2 s, 10 s,
/// 1 min, 5 min and 15 min, so that an endpoint down for a deployment of its own gets the events once it is back; an
/// event not delivered by then is logged (2006) and dropped, as is any event beyond <see cref="MaxPending"/> waiting at
/// once. The <c>id</c> lets a receiver drop a retry it already took. Waiting events live in this process: a silo that
/// stops or crashes drops its own (the customer's history holds them regardless).
/// </remarks>
public sealed partial class SecurityEventWebhook(IHttpClientFactory httpClients, IOptions<SessionsOptions> options,
    [FromKeyedServices(ServiceKeys.Clock)] TimeProvider clock, ILogger<SecurityEventWebhook> logger)
{
    // Each waiting event holds its body, a task and a timer in this process.
    public const int MaxPending = 10_000;
    private static readonly TimeSpan[] Retries =
        [TimeSpan.FromSeconds(2), TimeSpan.FromSeconds(10), TimeSpan.FromMinutes(1), TimeSpan.FromMinutes(5), TimeSpan.FromMinutes(15)];

    private int _pending;
    private int _droppedSinceDelivery;

    public bool IsEnabled => !string.IsNullOrEmpty(options.Value.SecurityEvents.Webhook.Url);

    /// <summary>Starts the delivery of <paramref name="securityEvent"/> of the customer <paramref name="customerId"/> of <paramref name="brand"/>.</summary>
    public void Publish(string brand, string customerId, SecurityEvent securityEvent)
    {
        if (!IsEnabled)
        {
            return;
        }
        if (Interlocked.Increment(ref _pending) > MaxPending)
        {
            Interlocked.Decrement(ref _pending);
            if (Interlocked.Increment(ref _droppedSinceDelivery) == 1)
            {
                LogDropped(SecurityEventKinds.Name(securityEvent.Kind), brand, MaxPending);
            }
            return;
        }
        var body = JsonSerializer.SerializeToUtf8Bytes(new SecurityEventPayload(
            Guid.NewGuid().ToString("N"), brand, customerId, SecurityEventKinds.Name(securityEvent.Kind), securityEvent.At,
            securityEvent.Identifier, securityEvent.Device, securityEvent.Flow, securityEvent.FamilyId, securityEvent.Factor,
            securityEvent.Reason, securityEvent.Detail), SecurityEventJson.Default.SecurityEventPayload);
        // Off the grain's turn: the delivery touches no grain state and may take seconds.
        _ = Task.Run(() => DeliverAsync(body, securityEvent.Kind, brand));
    }

    private async Task DeliverAsync(byte[] body, SecurityEventKind kind, string brand)
    {
        try
        {
            for (var attempt = 0; ; attempt++)
            {
                if (await TrySendAsync(body))
                {
                    Volatile.Write(ref _droppedSinceDelivery, 0);
                    return;
                }
                if (attempt == Retries.Length)
                {
                    LogNotDelivered(SecurityEventKinds.Name(kind), brand, attempt + 1);
                    return;
                }
                await Task.Delay(Retries[attempt], clock);
            }
        }
        finally
        {
            Interlocked.Decrement(ref _pending);
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
        Message = "Security event {Kind} of brand {Brand} dropped: {MaxPending} events are already waiting for the security events webhook; further drops are logged after the next delivery")]
    private partial void LogDropped(string kind, string brand, int maxPending);
}

internal sealed record SecurityEventPayload(
    string Id, string Brand, string CustomerId, string Kind, DateTimeOffset At, string Identifier, string Device,
    string? Flow, string? FamilyId, string? Factor, string? Reason, string? Detail);

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase)]
[JsonSerializable(typeof(SecurityEventPayload))]
internal sealed partial class SecurityEventJson : JsonSerializerContext;
