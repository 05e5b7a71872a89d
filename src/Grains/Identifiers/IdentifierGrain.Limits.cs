using Microsoft.Extensions.Logging;
using Sessions.Grains.Contracts;
using Sessions.Grains.Customers;
using Sessions.Grains.Identity;

namespace Sessions.Grains.Identifiers;

/// <summary>
/// The lock as support sees it: where the identifier stands against its limits, lifting a lock, and the owner's
/// security history told of each lock and each lift (recorded after the change is stored; a history that cannot be
/// written is logged and never fails the call).
/// </summary>
internal sealed partial class IdentifierGrain
{
    public Task<IdentifierLimits> GetLimitsAsync()
    {
        var window = TimeSpan.FromMinutes(_brand.Otp.SendWindowMinutes);
        var sends = Recent(State.Sends, window);
        return Task.FromResult(new IdentifierLimits
        {
            LockedUntil = LockEnd(),
            RecentFailures = RecentFailures().Count,
            ChecksInFlight = State.Attempts.Count,
            OtpSends = sends.Count,
            NextOtpSendAt = sends.Count >= _brand.Otp.MaxSends ? sends[0] + window : null,
        });
    }

    public async Task<LockLifted> LiftLockAsync(string liftedBy)
    {
        var lifted = new LockLifted { WasLockedUntil = LockEnd(), FailuresCleared = RecentFailures().Count };
        if (lifted.WasLockedUntil is null && lifted.FailuresCleared == 0)
        {
            return lifted;
        }

        State.LockedUntil = null;
        State.Failures = [];
        await SaveAsync();
        LogLockLifted(_identifier.Brand, _identifier.Type, liftedBy);
        await RecordAsync(SecurityEventKind.LockLifted, LockReasons.Administrator, liftedBy);
        return lifted;
    }

    /// <summary>Locks the identifier when its failures reach the brand's limit; true if this locked it.</summary>
    private bool LockIfFailuresReachTheLimit()
    {
        if (LockRemaining() is not null || State.Failures.Count < _brand.Lockout.MaxFailures)
        {
            return false;
        }
        State.LockedUntil = Now.AddMinutes(_brand.Lockout.LockMinutes);
        State.Failures = [];
        return true;
    }

    /// <summary>After a lock is stored: the warning operators alert on, and the owner's history.</summary>
    private async Task OnLockedAsync()
    {
        var until = State.LockedUntil!.Value;
        LogLocked(_identifier.Brand, _identifier.Type, until);
        await RecordAsync(SecurityEventKind.IdentifierLocked, LockReasons.TooManyFailures, until.ToString("O"));
    }

    private async Task RecordAsync(SecurityEventKind kind, string reason, string detail)
    {
        if (State.CustomerId is not { } customerId)
        {
            // No customer owns the identifier yet (a first login still to succeed): there is no history to tell.
            return;
        }
        var securityEvent = new SecurityEvent { Kind = kind, At = Now, Identifier = LogMasks.Identifier(_identifier), Reason = reason, Detail = detail };
        await SecurityHistory.RecordAsync(GrainFactory, _identifier.Brand, customerId, securityEvent, logger);
    }

    [LoggerMessage(EventId = 1010, Level = LogLevel.Warning, Message = "Identifier locked: {Brand} {IdentifierType} until {LockedUntil:O}")]
    private partial void LogLocked(string brand, IdentifierType identifierType, DateTimeOffset lockedUntil);

    [LoggerMessage(EventId = 1013, Level = LogLevel.Warning, Message = "Identifier lock lifted: {Brand} {IdentifierType} by admin key {KeyId}")]
    private partial void LogLockLifted(string brand, IdentifierType identifierType, string keyId);
}
