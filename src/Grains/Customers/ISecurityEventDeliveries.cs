using Sessions.Grains.Contracts;

namespace Sessions.Grains.Customers;

/// <summary>
/// What the security events webhook (<see cref="SecurityEventWebhook"/>) tells a customer's history about the deliveries
/// it makes for it. Inside the silos only: the API never calls it.
/// </summary>
[Alias("sessions.security-event-deliveries")]
public interface ISecurityEventDeliveries : IGrainWithStringKey
{
    /// <summary>A delivery was refused and waits for its next try.</summary>
    [Alias("waiting")]
    Task DeliveryWaitingAsync();

    /// <summary>A delivery ended: the endpoint took it, or the whole schedule passed without.</summary>
    [Alias("ended")]
    Task DeliveryEndedAsync(string deliveryId);
}

/// <summary>A security event the webhook has not delivered yet, as the customer's history stores it.</summary>
[GenerateSerializer, Immutable, Alias("sessions.pending-security-event")]
public sealed record PendingSecurityEvent
{
    /// <summary>The body's <c>id</c>: the same on every try, from any silo, so that a receiver can drop a repeat.</summary>
    [Id(0)] public string Id { get; init; } = "";

    [Id(1)] public SecurityEvent Event { get; init; } = null!;

    /// <summary>When it was first tried: the retries' schedule counts from here, on whichever silo resumes it.</summary>
    [Id(2)] public DateTimeOffset FirstTriedAt { get; init; }
}
