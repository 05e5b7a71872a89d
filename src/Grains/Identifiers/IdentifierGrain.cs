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

    public Task<string?> GetCustomerIdAsync() => Task.FromResult(State.CustomerId);

    public async Task<string> EnsureCustomerIdAsync()
    {
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
}
