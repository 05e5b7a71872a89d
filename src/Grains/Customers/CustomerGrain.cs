using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Sessions.Grains.Configuration;
using Sessions.Grains.Contracts;
using Sessions.Grains.Identity;

namespace Sessions.Grains.Customers;

/// <summary>A customer's credentials (only as salted hashes), MFA history and the device sessions holding its keys.</summary>
[GrainType("customer")]
internal sealed class CustomerGrain(
    [PersistentState("customer", ServiceKeys.Storage)] IPersistentState<CustomerState> state,
    [FromKeyedServices(ServiceKeys.Clock)] TimeProvider clock,
    IOptions<SessionsOptions> options) : Grain, ICustomerGrain, IRemindable
{
    // Kept from an erasure's first step to its last: the erasure's own silo may die in between.
    private const string ErasureReminder = "finish-erasure";
    private static readonly TimeSpan ErasureRetry = TimeSpan.FromMinutes(1);

    // A login that began under an identifier just before it moved away must still be refused; older moves have
    // long since finished any login that raced them.
    private const int MovedIdentifiersKept = 10;

    private int _maxDeviceSessions;

    private CustomerState State => state.State;

    public override Task OnActivateAsync(CancellationToken cancellationToken)
    {
        _maxDeviceSessions = options.Value.GetBrand(GrainKeys.BrandOfCustomer(this.GetPrimaryKeyString())).MaxDeviceSessions;
        if (State.LegacyDeviceSessions is { } legacy)
        {
            // Written before the list was ordered: no login time is known, so they count as the least recent.
            State.DeviceSessions.InsertRange(0, legacy.Where(key => State.DeviceSessions.All(d => d.Key != key))
                .Select(key => new CustomerDeviceSession { Key = key }));
            State.LegacyDeviceSessions = null;
        }
        if (State.Identifiers.Count == 0)
        {
            // Written before the customer listed its identifiers: its device sessions name those it logged in with.
            foreach (var identifier in State.DeviceSessions.Select(d => GrainKeys.IdentifierOfDeviceSession(d.Key)).Except(State.MovedIdentifiers))
            {
                AddIdentifier(identifier);
            }
        }
        return Task.CompletedTask;
    }

    public Task<CustomerProfile> GetProfileAsync() => Task.FromResult(Profile);

    public Task<CustomerDescription?> DescribeAsync() => Task.FromResult(!state.RecordExists ? null : new CustomerDescription
    {
        Profile = Profile,
        Identifiers = [.. State.Identifiers],
        DeviceSessions = State.DeviceSessions.Count,
        LastLoginAt = State.DeviceSessions.Count == 0 ? null : State.DeviceSessions.Max(d => d.LastLoginAt),
        ErasedAt = State.ErasedAt,
    });

    public Task<string?> GetPasswordHashAsync(PasswordKind kind) => Task.FromResult(Hash(kind));

    public async Task UpgradePasswordHashAsync(PasswordKind kind, string verifiedHash, string upgradedHash)
    {
        if (Hash(kind) == verifiedHash)
        {
            SetHash(kind, upgradedHash);
            await SaveAsync();
        }
    }

    public async Task<FactorCompleted> CompleteFirstFactorAsync(string? pendingPasswordHash, string deviceSessionKey)
    {
        if (State.ErasedAt is not null)
        {
            return FactorCompleted.Erased;
        }
        if (IsUnderMovedIdentifier(deviceSessionKey))
        {
            return FactorCompleted.Refused(AuthError.InvalidSession);
        }
        var evicted = RecordLogin(deviceSessionKey);
        if (pendingPasswordHash is not null && State.PasswordHash is null)
        {
            State.PasswordHash = pendingPasswordHash;
        }
        await SaveAsync();
        return new FactorCompleted { Profile = Profile, EvictedDeviceSessions = evicted, AsOf = State.LoginSequence };
    }

    public async Task<FactorCompleted> CompleteSecondFactorAsync(string? pendingMfaPasswordHash, string deviceSessionKey, bool enrolling)
    {
        if (State.ErasedAt is not null)
        {
            return FactorCompleted.Erased;
        }
        if (IsUnderMovedIdentifier(deviceSessionKey))
        {
            return FactorCompleted.Refused(AuthError.InvalidSession);
        }
        if (enrolling && State.MfaCompleted)
        {
            // Another second factor completed first: from now on only linked identifiers are second factors.
            return FactorCompleted.Refused(AuthError.InvalidDetails);
        }
        var evicted = RecordLogin(deviceSessionKey);
        State.MfaCompleted = true;
        if (pendingMfaPasswordHash is not null && State.MfaPasswordHash is null)
        {
            State.MfaPasswordHash = pendingMfaPasswordHash;
        }
        await SaveAsync();
        return new FactorCompleted { Profile = Profile, EvictedDeviceSessions = evicted, AsOf = State.LoginSequence };
    }

    public async Task<PasswordChanged> ChangePasswordAsync(PasswordKind kind, string verifiedHash, string newPasswordHash)
    {
        if (Hash(kind) != verifiedHash)
        {
            return new PasswordChanged { Error = AuthError.InvalidPassword };
        }
        return await ResetPasswordAsync(kind, newPasswordHash);
    }

    public async Task<PasswordChanged> ResetPasswordAsync(PasswordKind kind, string newPasswordHash)
    {
        if (State.ErasedAt is not null)
        {
            return new PasswordChanged { Error = AuthError.InvalidSession };
        }
        SetHash(kind, newPasswordHash);
        await SaveAsync();
        var sessions = DeviceSessionsNow();
        return new PasswordChanged { DeviceSessions = sessions.Keys, AsOf = sessions.AsOf };
    }

    public Task<DeviceSessionList> ListDeviceSessionsAsync() => Task.FromResult(DeviceSessionsNow());

    public async Task ForgetDeviceSessionsAsync(IReadOnlyList<string> deviceSessionKeys, long asOf)
    {
        if (State.DeviceSessions.RemoveAll(d => d.Sequence <= asOf && deviceSessionKeys.Contains(d.Key)) > 0)
        {
            await SaveAsync();
        }
    }

    public async Task<DeviceSessionList> IdentifierMovedAsync(string oldIdentifierKey, string newIdentifierKey)
    {
        State.MovedIdentifiers.RemoveAll(key => key == oldIdentifierKey || key == newIdentifierKey);
        State.MovedIdentifiers.Add(oldIdentifierKey);
        State.Identifiers.Remove(oldIdentifierKey);
        AddIdentifier(newIdentifierKey);
        if (State.MovedIdentifiers.Count > MovedIdentifiersKept)
        {
            State.MovedIdentifiers.RemoveAt(0);
        }
        await SaveAsync();
        return new DeviceSessionList
        {
            Keys = [.. State.DeviceSessions.Select(d => d.Key).Where(key => IsUnder(key, oldIdentifierKey))],
            AsOf = State.LoginSequence,
        };
    }

    public async Task<CustomerErasure> BeginErasureAsync(string erasedBy)
    {
        if (State.ErasedAt is null)
        {
            if (!state.RecordExists)
            {
                return CustomerErasure.NotFound;
            }
            State.ErasedAt = clock.GetUtcNow();
            State.ErasedBy = erasedBy;
            State.PasswordHash = null;
            State.MfaPasswordHash = null;
            State.MfaCompleted = false;
            await SaveAsync();
        }
        if (!State.ErasureCompleted)
        {
            await this.RegisterOrUpdateReminder(ErasureReminder, ErasureRetry, ErasureRetry);
        }
        return new CustomerErasure
        {
            Found = true,
            ErasedAt = State.ErasedAt.Value,
            ErasedBy = State.ErasedBy ?? "",
            Completed = State.ErasureCompleted,
            DeviceSessions = [.. State.DeviceSessions.Select(d => d.Key)],
            Identifiers = [.. State.Identifiers.Union(State.MovedIdentifiers)],
        };
    }

    public async Task CompleteErasureAsync()
    {
        if (State.ErasedAt is null || State.ErasureCompleted)
        {
            return;
        }
        State.ErasureCompleted = true;
        State.DeviceSessions.Clear();
        State.Identifiers.Clear();
        State.MovedIdentifiers.Clear();
        await SaveAsync();
        await DropErasureReminderAsync();
    }

    public async Task ReceiveReminder(string reminderName, TickStatus status)
    {
        if (reminderName != ErasureReminder)
        {
            return;
        }
        if (State.ErasedAt is null || State.ErasureCompleted)
        {
            await DropErasureReminderAsync();
            return;
        }
        // Not awaited: the erasure calls this grain back, in turns of its own. A failure waits for the next tick.
        GrainFactory.GetGrain<ICustomerErasureGrain>(this.GetPrimaryKeyString()).EraseAsync(State.ErasedBy ?? "").Ignore();
    }

    private async Task DropErasureReminderAsync()
    {
        if (await this.GetReminder(ErasureReminder) is { } reminder)
        {
            await this.UnregisterReminder(reminder);
        }
    }

    private DeviceSessionList DeviceSessionsNow() => new() { Keys = [.. State.DeviceSessions.Select(d => d.Key)], AsOf = State.LoginSequence };

    private bool IsUnderMovedIdentifier(string deviceSessionKey) => State.MovedIdentifiers.Any(key => IsUnder(deviceSessionKey, key));

    private void AddIdentifier(string identifierKey)
    {
        if (!State.Identifiers.Contains(identifierKey))
        {
            State.Identifiers.Add(identifierKey);
        }
    }

    private static bool IsUnder(string deviceSessionKey, string identifierKey) =>
        deviceSessionKey.Length > identifierKey.Length && deviceSessionKey.StartsWith(identifierKey, StringComparison.Ordinal) && deviceSessionKey[identifierKey.Length] == '/';

    /// <summary>
    /// Moves the device session to the most recent end of the list; answers the least recent ones beyond the limit.
    /// They stay listed until the caller has revoked them and asks to forget them, so a revocation that failed is
    /// tried again by the next login (this grain never calls a device session: they call it).
    /// </summary>
    private IReadOnlyList<string> RecordLogin(string deviceSessionKey)
    {
        AddIdentifier(GrainKeys.IdentifierOfDeviceSession(deviceSessionKey));
        State.DeviceSessions.RemoveAll(d => d.Key == deviceSessionKey);
        State.DeviceSessions.Add(new CustomerDeviceSession { Key = deviceSessionKey, LastLoginAt = clock.GetUtcNow(), Sequence = ++State.LoginSequence });
        var excess = State.DeviceSessions.Count - _maxDeviceSessions;
        return excess <= 0 ? [] : State.DeviceSessions.Take(excess).Select(d => d.Key).ToArray();
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
