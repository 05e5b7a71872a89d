using Microsoft.AspNetCore.Identity;
using Sessions.Grains.Contracts;
using Sessions.Grains.Passwords;

namespace Sessions.Grains.Customers;

/// <summary>A customer's credentials (only as salted hashes), MFA history and the device sessions holding its keys.</summary>
[GrainType("customer")]
internal sealed class CustomerGrain(
    [PersistentState("customer", ServiceKeys.Storage)] IPersistentState<CustomerState> state) : Grain, ICustomerGrain
{
    private CustomerState State => state.State;

    public Task<CustomerProfile> GetProfileAsync() => Task.FromResult(Profile);

    public async Task<bool> VerifyPasswordAsync(PasswordKind kind, string password)
    {
        if (Hash(kind) is not { } hash)
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

    public async Task<CustomerProfile> CompleteFirstFactorAsync(string? pendingPasswordHash, string deviceSessionKey)
    {
        var changed = State.DeviceSessions.Add(deviceSessionKey);
        if (pendingPasswordHash is not null && State.PasswordHash is null)
        {
            State.PasswordHash = pendingPasswordHash;
            changed = true;
        }
        if (changed)
        {
            await SaveAsync();
        }
        return Profile;
    }

    public async Task CompleteSecondFactorAsync(string? pendingMfaPasswordHash, string deviceSessionKey)
    {
        var changed = State.DeviceSessions.Add(deviceSessionKey) | !State.MfaCompleted;
        State.MfaCompleted = true;
        if (pendingMfaPasswordHash is not null && State.MfaPasswordHash is null)
        {
            State.MfaPasswordHash = pendingMfaPasswordHash;
            changed = true;
        }
        if (changed)
        {
            await SaveAsync();
        }
    }

    public async Task<PasswordChanged> ChangePasswordAsync(PasswordKind kind, string currentPassword, string newPasswordHash)
    {
        if (!await VerifyPasswordAsync(kind, currentPassword))
        {
            return new PasswordChanged { Error = AuthError.InvalidPassword };
        }
        return await ResetPasswordAsync(kind, newPasswordHash);
    }

    public async Task<PasswordChanged> ResetPasswordAsync(PasswordKind kind, string newPasswordHash)
    {
        SetHash(kind, newPasswordHash);
        await SaveAsync();
        return new PasswordChanged { DeviceSessions = [.. State.DeviceSessions] };
    }

    private CustomerProfile Profile => new()
    {
        HasPassword = State.PasswordHash is not null,
        HasMfaPassword = State.MfaPasswordHash is not null,
        MfaCompleted = State.MfaCompleted,
    };

    private string? Hash(PasswordKind kind) => kind == PasswordKind.Primary ? State.PasswordHash : State.MfaPasswordHash;

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

    /// <summary>Grain keys of the device sessions where this customer has logged in: where to revoke on a password change.</summary>
    [Id(3)] public HashSet<string> DeviceSessions { get; set; } = [];
}
