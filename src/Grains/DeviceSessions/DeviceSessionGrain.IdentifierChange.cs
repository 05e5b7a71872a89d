using Sessions.Grains.Contracts;
using Sessions.Grains.Identifiers;
using Sessions.Grains.Identity;

namespace Sessions.Grains.DeviceSessions;

/// <summary>
/// <c>user/updateIdentifierValue</c> (API.md §4.4): the customer of a live family here moves from this identifier to a
/// new value of the same type. The new value is proven first, by an OTP sent to it (unless the brand's CRM vouches
/// for it), counted against the new value's send window and lock; then the link moves (<see cref="IdentifierMove"/>)
/// and every family under the old value dies, this device session's last, so that a failure half-way leaves the
/// token alive for the retry that finishes the job.
/// </summary>
internal sealed partial class DeviceSessionGrain
{
    public async Task<IdentifierChangeOutcome> ChangeIdentifierAsync(FamilyReference token, string newValue, string? otp)
    {
        if (LiveFamily(token) is not { } family)
        {
            return IdentifierChangeOutcome.Failed(AuthError.InvalidToken);
        }
        // Only the call that starts a change needs the recent login: the one with the OTP finishes the change that
        // family started, however long the code took to arrive.
        var starts = otp is null || !_brand.IdentifierChange.VerifyNewValue;
        if (starts && _brand.IdentifierChange.RequireRecentLogin && !_brand.IsRecentLogin(family.CreatedAt, Now))
        {
            return IdentifierChangeOutcome.Failed(AuthError.RecentLoginRequired);
        }
        var target = _identifier with { Value = newValue };
        if (_brand.IdentifierChange.VerifyNewValue)
        {
            var proven = otp is null ? await SendChangeOtpAsync(family, target) : await CheckChangeOtpAsync(family, target, otp);
            if (proven is not null)
            {
                return proven;
            }
        }

        var moved = await IdentifierMove.RunAsync(GrainFactory, _identifier, newValue, family.CustomerId);
        if (moved != AuthError.None)
        {
            return IdentifierChangeOutcome.Failed(moved);
        }

        var customer = Customer(family.CustomerId);
        var underOldValue = await customer.IdentifierMovedAsync(GrainKeys.Identifier(_identifier), GrainKeys.Identifier(target));
        await RecordAsync(family.CustomerId, Event(SecurityEventKind.IdentifierChanged, family) with { Detail = LogMasks.Identifier(target) });
        await RevokeAsync(underOldValue.Keys.Where(key => key != _key), family.CustomerId, mfaOnly: false, keep: [], RevocationReasons.IdentifierChanged);
        _revocations++;
        State.IdentifierChange = null;
        await RevokeOwnFamiliesAsync(family.CustomerId, mfaOnly: false, keep: [], RevocationReasons.IdentifierChanged);
        await SaveAsync();
        await ForgetIfNoLiveFamilyAsync(family.CustomerId);
        return new IdentifierChangeOutcome();
    }

    /// <summary>The first call: an OTP to the new value, which must be free; nothing moves yet.</summary>
    private async Task<IdentifierChangeOutcome> SendChangeOtpAsync(KeyFamily family, Identifier target)
    {
        if (await IdentifierGrainOf(target).GetCustomerIdAsync() is not null)
        {
            // No OTP is ever sent to a value someone holds.
            return IdentifierChangeOutcome.Failed(AuthError.InvalidDetails);
        }

        var change = new PendingIdentifierChange
        {
            Id = RandomIds.NewSessionId(),
            FamilyId = family.Id,
            CustomerId = family.CustomerId,
            NewValue = target.Value,
            ExpiresAt = Now.AddMinutes(_brand.Otp.TtlMinutes),
        };
        var (code, refusal) = await SendCodeAsync(target, OtpPurpose.CHANGE, change.ExpiresAt);
        if (code is null)
        {
            return IdentifierChangeOutcome.Failed(refusal.Error, refusal.RetryAfter);
        }

        State.IdentifierChange = change with { OtpHash = otpHasher.Hash(change.Id, code) };
        await SaveAsync();
        return new IdentifierChangeOutcome { OtpSent = true };
    }

    /// <summary>The second call: the OTP of a change this family asked for to this value. Null when it is right.</summary>
    private async Task<IdentifierChangeOutcome?> CheckChangeOtpAsync(KeyFamily family, Identifier target, string otp)
    {
        if (State.IdentifierChange is not { } change || change.FamilyId != family.Id || change.NewValue != target.Value || change.ExpiresAt <= Now)
        {
            return IdentifierChangeOutcome.Failed(AuthError.OtpNotGenerated);
        }
        if (change.OtpFailures >= _brand.Otp.MaxAttempts)
        {
            return IdentifierChangeOutcome.Failed(AuthError.OtpAttemptsExhausted);
        }

        var ended = await AttemptAsync(IdentifierGrainOf(target), () => Task.FromResult<bool?>(otpHasher.Matches(change.OtpHash, change.Id, otp)));
        if (ended.Evaluated is not { } matched)
        {
            return IdentifierChangeOutcome.Failed(ended.Outcome.Error, ended.Outcome.RetryAfter);
        }
        if (matched)
        {
            return null;
        }

        var failures = change.OtpFailures + 1;
        State.IdentifierChange = change with { OtpFailures = failures };
        await SaveAsync();
        return !ended.Outcome.Succeeded ? IdentifierChangeOutcome.Failed(ended.Outcome.Error, ended.Outcome.RetryAfter)
            : IdentifierChangeOutcome.Failed(failures >= _brand.Otp.MaxAttempts ? AuthError.OtpAttemptsExhausted : AuthError.InvalidOtp);
    }

    private IIdentifierGrain IdentifierGrainOf(Identifier identifier) => GrainFactory.GetGrain<IIdentifierGrain>(GrainKeys.Identifier(identifier));
}
