using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Sessions.Grains.Configuration;
using Sessions.Grains.Contracts;
using Sessions.Grains.Identity;

namespace Sessions.Grains.Identifiers;

/// <summary>
/// Owns the identifier → customer link, so that concurrent first logins of a new identifier on two devices agree
/// on one customer, and the identifier-wide OTP send window and failure lock (API.md §7).
/// </summary>
[GrainType("identifier")]
internal sealed partial class IdentifierGrain(
    [PersistentState("identifier", ServiceKeys.Storage)] IPersistentState<IdentifierState> state,
    [FromKeyedServices(ServiceKeys.Clock)] TimeProvider clock,
    IOptions<SessionsOptions> options,
    ILogger<IdentifierGrain> logger) : Grain, IIdentifierGrain
{
    private Identifier _identifier = null!;
    private BrandOptions _brand = null!;

    private IdentifierState State => state.State;
    private DateTimeOffset Now => clock.GetUtcNow();

    public override Task OnActivateAsync(CancellationToken cancellationToken)
    {
        _identifier = GrainKeys.ParseIdentifier(this.GetPrimaryKeyString());
        _brand = options.Value.GetBrand(_identifier.Brand);
        return Task.CompletedTask;
    }

    public async Task<string?> GetCustomerIdAsync()
    {
        await SettlePendingMoveAsync();
        return State.CustomerId;
    }

    public async Task<string> EnsureCustomerIdAsync()
    {
        await SettlePendingMoveAsync();
        if (State.CustomerId is { } existing)
        {
            return existing;
        }

        State.CustomerId = RandomIds.NewCustomerId();
        await SaveAsync();
        return State.CustomerId;
    }

    public async Task<bool> LinkAsync(string customerId)
    {
        await SettlePendingMoveAsync();
        if (State.CustomerId is { } owner)
        {
            return owner == customerId;
        }

        State.CustomerId = customerId;
        await SaveAsync();
        return true;
    }

    public async Task<Outcome> TryReserveOtpSendAsync()
    {
        if (LockRemaining() is { } locked)
        {
            return Outcome.Failed(AuthError.IdentifierLocked, locked);
        }

        var window = TimeSpan.FromMinutes(_brand.Otp.SendWindowMinutes);
        var sends = Recent(State.Sends, window);
        if (sends.Count >= _brand.Otp.MaxSends)
        {
            return Outcome.Failed(AuthError.OtpSendLimitReached, sends[0] + window - Now);
        }

        sends.Add(Now);
        State.Sends = sends;
        await SaveAsync();
        return Outcome.Ok;
    }

    public async Task ReleaseOtpSendAsync()
    {
        if (State.Sends.Count > 0)
        {
            State.Sends = State.Sends[..^1];
            await SaveAsync();
        }
    }

    public Task<Outcome> CheckLockAsync() =>
        Task.FromResult(LockRemaining() is { } locked ? Outcome.Failed(AuthError.IdentifierLocked, locked) : Outcome.Ok);

    public async Task<Outcome> RecordFailureAsync()
    {
        var failures = Recent(State.Failures, TimeSpan.FromMinutes(_brand.Lockout.WindowMinutes));
        failures.Add(Now);
        State.Failures = failures;
        var locks = failures.Count >= _brand.Lockout.MaxFailures;
        if (locks)
        {
            State.LockedUntil = Now.AddMinutes(_brand.Lockout.LockMinutes);
            State.Failures = [];
        }
        await SaveAsync();

        if (!locks)
        {
            return Outcome.Ok;
        }
        LogLocked(_identifier.Brand, _identifier.Type, State.LockedUntil!.Value);
        return Outcome.Failed(AuthError.IdentifierLocked, State.LockedUntil!.Value - Now);
    }

    public async Task RecordSuccessAsync()
    {
        if (State.Failures.Count > 0)
        {
            State.Failures = [];
            await SaveAsync();
        }
    }

    public async Task<AuthError> MoveToAsync(string customerId, string newValue)
    {
        await SettlePendingMoveAsync();
        if (State.CustomerId is null && State.MovedTo == newValue && State.MovedCustomerId == customerId)
        {
            return AuthError.None; // a retry of a move that completed
        }
        if (State.CustomerId != customerId)
        {
            return AuthError.IdentifierMismatch;
        }

        // Written first, so that a crash from here on is settled by the next call (SettlePendingMoveAsync).
        State.PendingMove = newValue;
        await SaveAsync();
        if (!await Target(newValue).ClaimAsync(customerId, _identifier.Value))
        {
            State.PendingMove = null;
            await SaveAsync();
            return AuthError.InvalidDetails;
        }
        await UnlinkAsync(newValue);
        return AuthError.None;
    }

    public async Task<bool> ClaimAsync(string customerId, string fromValue)
    {
        if (State.CustomerId is { } owner)
        {
            // Only a retry of the same move finds itself here: any other owner means the value is in use.
            return owner == customerId && State.ClaimedFrom == fromValue;
        }

        // The value starts clean: no send window, failure count or lock carried over from a previous owner.
        state.State = new IdentifierState { CustomerId = customerId, ClaimedFrom = fromValue };
        await SaveAsync();
        return true;
    }

    public Task<bool> IsClaimedByAsync(string customerId, string fromValue) =>
        Task.FromResult(State.CustomerId == customerId && State.ClaimedFrom == fromValue);

    /// <summary>
    /// A move that a crash interrupted: the new value either took the link (finish: unlink here) or never did (abort:
    /// the link stays here). Either way one value holds the customer, never none and never two customers one value.
    /// </summary>
    private async Task SettlePendingMoveAsync()
    {
        if (State.PendingMove is not { } newValue)
        {
            return;
        }
        if (State.CustomerId is { } customerId && await Target(newValue).IsClaimedByAsync(customerId, _identifier.Value))
        {
            await UnlinkAsync(newValue);
            return;
        }
        State.PendingMove = null;
        await SaveAsync();
    }

    private async Task UnlinkAsync(string movedTo)
    {
        state.State = new IdentifierState { MovedTo = movedTo, MovedCustomerId = State.CustomerId };
        await SaveAsync();
    }

    private IIdentifierGrain Target(string value) =>
        GrainFactory.GetGrain<IIdentifierGrain>(GrainKeys.Identifier(_identifier with { Value = value }));

    private TimeSpan? LockRemaining() => State.LockedUntil is { } until && until > Now ? until - Now : null;

    private List<DateTimeOffset> Recent(List<DateTimeOffset> times, TimeSpan window) => times.Where(t => t > Now - window).ToList();

    private Task SaveAsync() => state.WriteOrDeactivateAsync(DeactivateOnIdle);

    [LoggerMessage(EventId = 1010, Level = LogLevel.Warning, Message = "Identifier locked: {Brand} {IdentifierType} until {LockedUntil:O}")]
    private partial void LogLocked(string brand, IdentifierType identifierType, DateTimeOffset lockedUntil);
}

[GenerateSerializer, Alias("sessions.identifier-state")]
public sealed class IdentifierState
{
    [Id(0)] public string? CustomerId { get; set; }

    /// <summary>When OTPs were sent, oldest first; only those inside the send window are kept.</summary>
    [Id(1)] public List<DateTimeOffset> Sends { get; set; } = [];

    /// <summary>When wrong credentials were given, oldest first; only those inside the lockout window are kept.</summary>
    [Id(2)] public List<DateTimeOffset> Failures { get; set; } = [];

    [Id(3)] public DateTimeOffset? LockedUntil { get; set; }

    /// <summary>The value the link is being moved to, until the move is complete or aborted.</summary>
    [Id(4)] public string? PendingMove { get; set; }

    /// <summary>The value this link was moved here from: what makes a retried claim of the same move succeed.</summary>
    [Id(5)] public string? ClaimedFrom { get; set; }

    /// <summary>Where the link went and whose it was, so that a retried move answers success.</summary>
    [Id(6)] public string? MovedTo { get; set; }
    [Id(7)] public string? MovedCustomerId { get; set; }
}
