using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Sessions.Grains.Configuration;
using Sessions.Grains.Contracts;
using Sessions.Grains.Identity;

namespace Sessions.Grains.Identifiers;

/// <summary>
/// Owns the identifier → customer link, so that concurrent first logins of a new identifier on two devices agree
/// on one customer, and the identifier-wide limits (API.md §7): open logins, the OTP send window, the credential
/// checks in flight, the failures and the lock. It never waits on another identifier's turn (a move is driven from
/// outside, <see cref="IdentifierMove"/>), so two identifiers can never wait on each other; the only grain it waits on is
/// its owner's security history, which calls no identifier. IdentifierGrain.Limits.cs holds the lock's side for support.
/// </summary>
[GrainType(GrainTypes.Identifier)]
internal sealed partial class IdentifierGrain(
    [PersistentState(GrainTypes.Identifier, ServiceKeys.Storage)] IPersistentState<IdentifierState> state,
    [FromKeyedServices(ServiceKeys.Clock)] TimeProvider clock,
    IOptions<SessionsOptions> options,
    ILogger<IdentifierGrain> logger) : Grain, IIdentifierGrain, ITidyGrain
{
    // A check admitted but never ended (its device session's silo died) counts as a failure after this long: a
    // failure, because its answer may have reached the guesser.
    private static readonly TimeSpan AttemptLease = TimeSpan.FromSeconds(60);

    // What a guess refused because the limit is taken by checks in flight is told: they end within milliseconds.
    private static readonly TimeSpan InFlightRetryAfter = TimeSpan.FromSeconds(1);

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

    public override async Task OnDeactivateAsync(DeactivationReason reason, CancellationToken cancellationToken)
    {
        try
        {
            await ClearIfEmptyAsync();
        }
        catch (Exception e) when (e is OrleansException or TimeoutException)
        {
            LogClearFailed(e);
        }
    }

    public async Task<bool> TidyAsync()
    {
        if (!await ClearIfEmptyAsync())
        {
            return false;
        }
        // Activated by the store sweep for this alone, most likely: nothing is left to keep in memory either.
        DeactivateOnIdle();
        return true;
    }

    /// <summary>An identifier that no one owns and that has nothing in a window (an anonymous caller's, say) keeps no state.</summary>
    private async Task<bool> ClearIfEmptyAsync()
    {
        if (!IsEmpty())
        {
            return false;
        }
        if (state.RecordExists)
        {
            await state.ClearStateAsync();
        }
        return true;
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

    public async Task<bool> ReleaseAsync(string customerId)
    {
        await SettlePendingMoveAsync();
        var owned = State.CustomerId == customerId;
        var movedAway = State.MovedCustomerId == customerId;
        if (!owned && !movedAway)
        {
            return false;
        }
        if (owned)
        {
            (State.CustomerId, State.ClaimedFrom) = (null, null);
        }
        if (movedAway)
        {
            (State.MovedTo, State.MovedCustomerId) = (null, null);
        }
        if (!await ClearIfEmptyAsync())
        {
            await SaveAsync();
        }
        return true;
    }

    public async Task<OpenLoginReservation> ReserveOpenLoginAsync(string holder, DateTimeOffset expiresAt)
    {
        await SettlePendingMoveAsync();
        var open = State.OpenLogins.Where(o => o.ExpiresAt > Now && o.Holder != holder).ToList();
        if (open.Count >= _brand.MaxOpenLogins)
        {
            return new OpenLoginReservation { Error = AuthError.OtpSendLimitReached, RetryAfter = open.Min(o => o.ExpiresAt) - Now };
        }

        open.Add(new OpenLogin { Holder = holder, ExpiresAt = expiresAt });
        State.OpenLogins = open;
        await SaveAsync();
        return new OpenLoginReservation { CustomerId = State.CustomerId };
    }

    public async Task ReleaseOpenLoginAsync(string holder)
    {
        if (State.OpenLogins.RemoveAll(o => o.Holder == holder || o.ExpiresAt <= Now) > 0)
        {
            await SaveAsync();
        }
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

    public async Task<Outcome> BeginAttemptAsync(string attemptId)
    {
        var wasLocked = LockRemaining() is not null;
        var expired = ExpireStaleAttempts();
        if (LockRemaining() is { } locked)
        {
            if (expired)
            {
                await SaveAsync();
                if (!wasLocked)
                {
                    await OnLockedAsync();
                }
            }
            return Outcome.Failed(AuthError.IdentifierLocked, locked);
        }
        if (RecentFailures().Count + State.Attempts.Count >= _brand.Lockout.MaxFailures)
        {
            if (expired)
            {
                await SaveAsync();
            }
            return Outcome.Failed(AuthError.IdentifierLocked, InFlightRetryAfter);
        }

        State.Attempts.Add(new PendingAttempt { Id = attemptId, StartedAt = Now });
        await SaveAsync();
        return Outcome.Ok;
    }

    public async Task<Outcome> EndAttemptAsync(string attemptId, AttemptResult result)
    {
        var admitted = State.Attempts.RemoveAll(a => a.Id == attemptId) > 0;
        if (!admitted && result != AttemptResult.Failed)
        {
            // Already counted as a failure after its lease, or never admitted: nothing to undo.
            return Outcome.Ok;
        }

        switch (result)
        {
            case AttemptResult.Succeeded:
                State.Failures = [];
                break;
            case AttemptResult.Failed:
                State.Failures = [.. RecentFailures(), Now];
                break;
        }
        var locks = result == AttemptResult.Failed && LockIfFailuresReachTheLimit();
        await SaveAsync();

        if (!locks)
        {
            return LockRemaining() is { } stillLocked && result == AttemptResult.Failed ? Outcome.Failed(AuthError.IdentifierLocked, stillLocked) : Outcome.Ok;
        }
        await OnLockedAsync();
        return Outcome.Failed(AuthError.IdentifierLocked, State.LockedUntil!.Value - Now);
    }

    public async Task<MoveStart> BeginMoveAsync(string customerId, string newValue)
    {
        await SettlePendingMoveAsync();
        if (HasMovedTo(customerId, newValue))
        {
            return MoveStart.AlreadyMoved;
        }
        if (State.CustomerId != customerId)
        {
            return MoveStart.NotOwner;
        }

        State.PendingMove = newValue;
        await SaveAsync();
        return MoveStart.Started;
    }

    public async Task<bool> ClaimAsync(string customerId, string fromValue)
    {
        await SettlePendingMoveAsync();
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

    public async Task<bool> CompleteMoveAsync(string customerId, string newValue)
    {
        if (HasMovedTo(customerId, newValue))
        {
            return true;
        }
        if (State.CustomerId != customerId || !await Target(newValue).IsClaimedByAsync(customerId, _identifier.Value))
        {
            return false;
        }
        await UnlinkAsync(newValue);
        return true;
    }

    public async Task AbortMoveAsync(string newValue)
    {
        if (State.PendingMove == newValue)
        {
            State.PendingMove = null;
            await SaveAsync();
        }
    }

    public Task<bool> IsClaimedByAsync(string customerId, string fromValue) =>
        Task.FromResult(State.CustomerId == customerId && State.ClaimedFrom == fromValue);

    /// <summary>
    /// A move that a crash interrupted: the new value either took the link (finish: unlink here) or never did (abort:
    /// the link stays here). Either way one value holds the customer, never none and never two customers one value.
    /// A move still under way is settled the same way; its own last step then finds it done or aborted.
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

    /// <summary>
    /// The customer's move to <paramref name="newValue"/> completed here: a retry answers success, even once the freed value
    /// belongs to someone new (a login that raced the move, or a later sign-up).
    /// </summary>
    private bool HasMovedTo(string customerId, string newValue) =>
        State.MovedTo == newValue && State.MovedCustomerId == customerId && State.CustomerId != customerId;

    private async Task UnlinkAsync(string movedTo)
    {
        state.State = new IdentifierState { MovedTo = movedTo, MovedCustomerId = State.CustomerId };
        await SaveAsync();
    }

    /// <summary>Checks admitted longer ago than their lease count as failures: whoever guessed may have seen the answer.</summary>
    private bool ExpireStaleAttempts()
    {
        var stale = State.Attempts.Where(a => Now - a.StartedAt > AttemptLease).ToList();
        if (stale.Count == 0)
        {
            return false;
        }
        State.Attempts.RemoveAll(stale.Contains);
        State.Failures = [.. RecentFailures(), .. stale.Select(a => a.StartedAt)];
        LockIfFailuresReachTheLimit();
        return true;
    }

    private bool IsEmpty() => State.HoldsNothingAt(Now, _brand);

    private IIdentifierGrain Target(string value) =>
        GrainFactory.GetGrain<IIdentifierGrain>(GrainKeys.Identifier(_identifier with { Value = value }));

    private TimeSpan? LockRemaining() => State.LockedUntil is { } until && until > Now ? until - Now : null;

    /// <summary>When the lock ends, while the identifier is locked.</summary>
    private DateTimeOffset? LockEnd() => LockRemaining() is null ? null : State.LockedUntil;

    private List<DateTimeOffset> RecentFailures() => Recent(State.Failures, TimeSpan.FromMinutes(_brand.Lockout.WindowMinutes));

    private List<DateTimeOffset> Recent(List<DateTimeOffset> times, TimeSpan window) => times.Where(t => t > Now - window).ToList();

    private Task SaveAsync() => state.WriteOrDeactivateAsync(DeactivateOnIdle);

    [LoggerMessage(EventId = 1011, Level = LogLevel.Information, Message = "Could not clear an empty identifier's state; the next deactivation retries")]
    private partial void LogClearFailed(Exception exception);
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

    /// <summary>Credential checks admitted and not yet ended: each counts against the lockout limit meanwhile.</summary>
    [Id(8)] public List<PendingAttempt> Attempts { get; set; } = [];

    /// <summary>Open, unvalidated sessions of this identifier, at most the brand's MaxOpenLogins.</summary>
    [Id(9)] public List<OpenLogin> OpenLogins { get; set; } = [];

    /// <summary>
    /// Whether nothing in the state counts any more at <paramref name="now"/>: no owner and no move, no lock, no OTP send
    /// or failure inside its window, no open login, and no check in flight (a check never ended counts as a failure when
    /// it began, so one older than the failure window counts for nothing). The grain then keeps no stored state, and the
    /// store sweep looks for such states among the stored ones.
    /// </summary>
    public bool HoldsNothingAt(DateTimeOffset now, BrandOptions brand)
    {
        var failuresFrom = now - TimeSpan.FromMinutes(brand.Lockout.WindowMinutes);
        return this is { CustomerId: null, PendingMove: null, MovedTo: null }
            && !(LockedUntil > now)
            && Sends.All(t => t <= now - TimeSpan.FromMinutes(brand.Otp.SendWindowMinutes))
            && Failures.All(t => t <= failuresFrom)
            && Attempts.All(a => a.StartedAt <= failuresFrom)
            && OpenLogins.All(o => o.ExpiresAt <= now);
    }
}

[GenerateSerializer, Immutable, Alias("sessions.pending-attempt")]
public sealed record PendingAttempt
{
    [Id(0)] public string Id { get; init; } = "";
    [Id(1)] public DateTimeOffset StartedAt { get; init; }
}

[GenerateSerializer, Immutable, Alias("sessions.open-login")]
public sealed record OpenLogin
{
    /// <summary>The device session's grain key; a browser's session adds <c>#</c> and its session id.</summary>
    [Id(0)] public string Holder { get; init; } = "";
    [Id(1)] public DateTimeOffset ExpiresAt { get; init; }
}
