using Sessions.Grains.Contracts;

namespace Sessions.Grains.Identifiers;

/// <summary>
/// Owns the identifier → customer link, so that concurrent first logins of a new identifier on two devices agree
/// on one customer. The natural home of the identifier-wide OTP send window and failure lock (API.md §7).
/// </summary>
[GrainType("identifier")]
internal sealed class IdentifierGrain(
    [PersistentState("identifier", ServiceKeys.Storage)] IPersistentState<IdentifierState> state) : Grain, IIdentifierGrain
{
    public Task<string?> GetCustomerIdAsync() => Task.FromResult(state.State.CustomerId);

    public async Task<string> EnsureCustomerIdAsync()
    {
        if (state.State.CustomerId is { } existing)
        {
            return existing;
        }

        var customerId = RandomIds.NewCustomerId();
        state.State.CustomerId = customerId;
        await state.WriteOrDeactivateAsync(DeactivateOnIdle);
        return customerId;
    }

    public async Task<bool> LinkAsync(string customerId)
    {
        if (state.State.CustomerId is { } owner)
        {
            return owner == customerId;
        }

        state.State.CustomerId = customerId;
        await state.WriteOrDeactivateAsync(DeactivateOnIdle);
        return true;
    }
}

[GenerateSerializer, Alias("sessions.identifier-state")]
public sealed class IdentifierState
{
    [Id(0)] public string? CustomerId { get; set; }
}
