using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Orleans.Storage;
using Sessions.Grains.Contracts;
using Sessions.Grains.Identity;

namespace Sessions.Grains.Customers;

/// <summary>
/// Keeps the newest <see cref="MaxEvents"/> security events of one customer, and hands each new line, once stored, to the
/// brand's security events webhook (<see cref="SecurityEventWebhook"/>); a repeat counted on an existing line is not sent again.
/// </summary>
/// <remarks>
/// A line is stored together with its pending delivery, and the delivery is taken off once the webhook's schedule ends,
/// so no silo holds the only copy of an event on its way. While one waits for a retry (an alarm, from before its first
/// try: <see cref="SecurityEventKinds.IsAlarm"/>) the history keeps a reminder:
/// if its silo crashes or stops, the reminder activates the history on another silo within a minute, which resumes
/// the schedule where it was (<see cref="PendingSecurityEvent.FirstTriedAt"/>). A delivery whose first try a crash cut
/// short, before any reminder, is found by the store sweep through the <see cref="EventsWaitingMark"/> kept beside the
/// history while events wait. CustomerHistoryGrain.Deliveries.cs holds the deliveries.
/// </remarks>
[GrainType(GrainTypes.CustomerHistory)]
internal sealed partial class CustomerHistoryGrain(
    [PersistentState(GrainTypes.CustomerHistory, ServiceKeys.Storage)] IPersistentState<CustomerHistoryState> state,
    [FromKeyedServices(ServiceKeys.Storage)] IGrainStorage storage,
    SecurityEventWebhook webhook,
    [FromKeyedServices(ServiceKeys.Clock)] TimeProvider clock,
    ILogger<CustomerHistoryGrain> logger) : Grain, ICustomerHistoryGrain, ISecurityEventDeliveries, IRemindable
{
    public const int MaxEvents = 100;

    /// <summary>The state name of the mark a history keeps while events may wait for the webhook (<see cref="EventsWaitingMark"/>).</summary>
    public const string WaitingMarkName = "customer-history-waiting";

    private List<PendingSecurityEvent> Undelivered => state.State.Undelivered;

    public override async Task OnActivateAsync(CancellationToken cancellationToken)
    {
        if (Undelivered.Count > 0)
        {
            // Left by a silo that crashed or stopped while delivering: the schedule goes on here. (A history stored
            // before the mark existed gets it now.)
            _mayHaveReminder = true;
            await MarkWaitingAsync();
            await DeliverPendingAsync();
        }
    }

    public override async Task OnDeactivateAsync(DeactivationReason reason, CancellationToken cancellationToken)
    {
        // A stopping silo drops the deliveries under way; the reminder brings them back on another one.
        if (Undelivered.Count > 0)
        {
            await KeepReminderAsync();
        }
    }

    public async Task RecordAsync(SecurityEvent securityEvent)
    {
        var events = state.State.Events;
        var repeat = events.Count > 0 && securityEvent.Repeats(events[0]);
        if (repeat)
        {
            events[0] = events[0] with { Count = events[0].Count + 1, At = securityEvent.At, Detail = securityEvent.Detail };
        }
        else
        {
            events.Insert(0, securityEvent);
            if (events.Count > MaxEvents)
            {
                events.RemoveRange(MaxEvents, events.Count - MaxEvents);
            }
        }
        PendingSecurityEvent? delivery = null;
        if (!repeat && webhook.IsEnabled)
        {
            delivery = new() { Id = Guid.NewGuid().ToString("N"), Event = securityEvent, FirstTriedAt = clock.GetUtcNow() };
            Undelivered.Add(delivery);
            if (Undelivered.Count > MaxEvents)
            {
                var dropped = Undelivered[0];
                Undelivered.RemoveAt(0);
                LogDropped(SecurityEventKinds.Name(dropped.Event.Kind), GrainKeys.BrandOfCustomer(this.GetPrimaryKeyString()), MaxEvents);
            }
        }
        if (delivery is not null)
        {
            // Before the history that holds the delivery, so that no crash leaves one waiting that the sweep cannot find.
            await MarkWaitingAsync();
        }
        await state.WriteStateAsync();
        if (delivery is null)
        {
            await EndWaitingIfNoneWaitAsync();
            return;
        }
        if (SecurityEventKinds.IsAlarm(securityEvent.Kind))
        {
            // The reminder before the first try, so that a silo that dies during it cannot leave the event waiting for
            // the customer's next use of their history. The other kinds (logins, by far the most frequent, and
            // revocations) get one only when their first try fails: a reminder-table write on every login would cost
            // more than the delay it saves.
            await KeepReminderAsync();
        }
        if (!Deliver(delivery, resumed: false))
        {
            await KeepReminderAsync();
        }
    }

    public Task EraseAsync(SecurityEvent erased)
    {
        // Deliveries already handed to the webhook end as they would; the ones still waiting are the customer's data too.
        state.State.Events.Clear();
        Undelivered.Clear();
        return RecordAsync(erased);
    }

    public Task<IReadOnlyList<SecurityEvent>> ListAsync() => Task.FromResult<IReadOnlyList<SecurityEvent>>([.. state.State.Events]);
}

/// <summary>
/// Stored beside a customer's history while events may wait in it for the security events webhook: written before the
/// history that holds them, cleared after the history that holds none. The store sweep finds every such history by these
/// small records alone, without reading every customer's history; a mark a crash left with nothing behind it costs the
/// sweep one activation, which clears it.
/// </summary>
[GenerateSerializer, Alias("sessions.customer-history-waiting")]
public sealed class EventsWaitingMark
{
    /// <summary>When the first of the events waiting was recorded.</summary>
    [Id(0)] public DateTimeOffset Since { get; set; }
}

[GenerateSerializer, Alias("sessions.customer-history-state")]
public sealed class CustomerHistoryState
{
    /// <summary>Newest first.</summary>
    [Id(0)] public List<SecurityEvent> Events { get; set; } = [];

    /// <summary>The events the security events webhook has not delivered yet, oldest first.</summary>
    [Id(1)] public List<PendingSecurityEvent> Undelivered { get; set; } = [];
}
