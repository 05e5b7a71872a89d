using Microsoft.AspNetCore.Identity;
using Sessions.Grains.Contracts;
using Sessions.Grains.Passwords;

namespace Sessions.Grains.Customers;

/// <summary>A customer's credentials (only as salted hashes) and whether it has ever completed MFA.</summary>
[GrainType("customer")]
internal sealed class CustomerGrain(
    [PersistentState("customer", ServiceKeys.Storage)] IPersistentState<CustomerState> state) : Grain, ICustomerGrain
{
    private CustomerState State => state.State;

    public Task<CustomerProfile> GetProfileAsync() => Task.FromResult(Profile);

    public async Task<bool> VerifyPasswordAsync(PasswordKind kind, string password)
    {
        var hash = kind == PasswordKind.Primary ? State.PasswordHash : State.MfaPasswordHash;
        if (hash is null)
        {
            return false;
        }

        switch (PasswordHashing.Verify(hash, password))
        {
            case PasswordVerificationResult.Success:
                return true;
            case PasswordVerificationResult.SuccessRehashNeeded:
                SetHash(kind, PasswordHashing.Hash(password));
                await SaveAsync();
                return true;
            default:
                return false;
        }
    }

    public async Task<CustomerProfile> CompleteFirstFactorAsync(string? pendingPasswordHash)
    {
        if (pendingPasswordHash is not null && State.PasswordHash is null)
        {
            State.PasswordHash = pendingPasswordHash;
            await SaveAsync();
        }
        return Profile;
    }

    public async Task CompleteSecondFactorAsync(string? pendingMfaPasswordHash)
    {
        if (State.MfaCompleted && (pendingMfaPasswordHash is null || State.MfaPasswordHash is not null))
        {
            return;
        }

        State.MfaCompleted = true;
        State.MfaPasswordHash ??= pendingMfaPasswordHash;
        await SaveAsync();
    }

    private CustomerProfile Profile => new()
    {
        HasPassword = State.PasswordHash is not null,
        HasMfaPassword = State.MfaPasswordHash is not null,
        MfaCompleted = State.MfaCompleted,
    };

    private void SetHash(PasswordKind kind, string hash)
    {
        if (kind == PasswordKind.Primary) State.PasswordHash = hash; else State.MfaPasswordHash = hash;
    }

    private Task SaveAsync() => state.WriteOrDeactivateAsync(DeactivateOnIdle);
}

[GenerateSerializer, Alias("sessions.customer-state")]
public sealed class CustomerState
{
    [Id(0)] public string? PasswordHash { get; set; }
    [Id(1)] public string? MfaPasswordHash { get; set; }
    [Id(2)] public bool MfaCompleted { get; set; }
}
