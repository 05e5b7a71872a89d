using Sessions.Grains.Contracts;

namespace Sessions.Grains.Customers;

/// <summary>Keeps the newest <see cref="MaxEvents"/> security events of one customer.</summary>
[GrainType("customer-history")]
internal sealed class CustomerHistoryGrain(
    [PersistentState("customer-history", ServiceKeys.Storage)] IPersistentState<CustomerHistoryState> state) : Grain, ICustomerHistoryGrain
{
    public const int MaxEvents = 100;

    public async Task RecordAsync(SecurityEvent securityEvent)
    {
        var events = state.State.Events;
        if (events.Count > 0 && securityEvent.Repeats(events[0]))
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
    }

    public Task<IReadOnlyList<SecurityEvent>> ListAsync() => Task.FromResult<IReadOnlyList<SecurityEvent>>([.. state.State.Events]);
}

[GenerateSerializer, Alias("sessions.customer-history-state")]
public sealed class CustomerHistoryState
{
    /// <summary>Newest first.</summary>
    [Id(0)] public List<SecurityEvent> Events { get; set; } = [];
}
