using Sessions.Grains.Contracts;
using Sessions.Grains.Identity;

namespace Sessions.Grains.Customers;

/// <summary>
/// Keeps the newest <see cref="MaxEvents"/> security events of one customer, and hands each new line, once stored, to the
/// brand's security events webhook (<see cref="SecurityEventWebhook"/>); a repeat counted on an existing line is not sent again.
/// </summary>
[GrainType("customer-history")]
internal sealed class CustomerHistoryGrain(
    [PersistentState("customer-history", ServiceKeys.Storage)] IPersistentState<CustomerHistoryState> state,
    SecurityEventWebhook webhook) : Grain, ICustomerHistoryGrain
{
    public const int MaxEvents = 100;

    public async Task RecordAsync(SecurityEvent securityEvent)
    {
        var events = state.State.Events;
        var repeat = events.Count > 0 && securityEvent.Repeats(events[0]);
        if (repeat)
        {
            events[0] = events[0] with { Count = events[0].Count + 1, At = securityEvent.At };
        }
        else
        {
            events.Insert(0, securityEvent);
            if (events.Count > MaxEvents)
            {
                events.RemoveRange(MaxEvents, events.Count - MaxEvents);
            }
        }
        await state.WriteStateAsync();
        if (!repeat)
        {
            var key = this.GetPrimaryKeyString();
            webhook.Publish(GrainKeys.BrandOfCustomer(key), GrainKeys.CustomerIdOf(key), securityEvent);
        }
    }

    public Task<IReadOnlyList<SecurityEvent>> ListAsync() => Task.FromResult<IReadOnlyList<SecurityEvent>>([.. state.State.Events]);
}

[GenerateSerializer, Alias("sessions.customer-history-state")]
public sealed class CustomerHistoryState
{
    /// <summary>Newest first.</summary>
    [Id(0)] public List<SecurityEvent> Events { get; set; } = [];
}
