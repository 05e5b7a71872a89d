using Microsoft.AspNetCore.Identity;
using Sessions.Grains.Contracts;

namespace Sessions.Grains.DeviceSessions;

/// <summary>
/// Checks of OTPs and passwords, and the password changes and resets they guard. Every check is admitted by the
/// identifier first (API.md §7): it counts against the lockout from the moment it is made, so parallel guesses on any
/// number of device sessions get at most Lockout.MaxFailures evaluations. Passwords are hashed and verified on the
/// bounded pool (<see cref="Passwords.PasswordWork"/>), never before the call's cheap checks have passed.
/// </summary>
internal sealed partial class DeviceSessionGrain
{
    // A full hashing pool is busy for tens of milliseconds per slot.
    private static readonly TimeSpan PasswordWorkRetryAfter = TimeSpan.FromSeconds(1);

    public async Task<Outcome> ChangePasswordAsync(PasswordKind kind, FamilyReference token, string currentPassword, string newPassword)
    {
        if (LiveFamily(token) is not { } family)
        {
            return Outcome.Failed(AuthError.InvalidToken);
        }
        var customer = Customer(family.CustomerId);
        var (checkedHash, refused) = await CheckCurrentPasswordAsync(customer, kind, currentPassword);
        if (checkedHash is null)
        {
            return refused;
        }
        if (await passwords.TryHashAsync(newPassword) is not { } newHash)
        {
            return Outcome.Failed(AuthError.TooManyRequests, PasswordWorkRetryAfter);
        }

        var changed = await customer.ChangePasswordAsync(kind, checkedHash, newHash);
        if (changed.Error != AuthError.None)
        {
            return Outcome.Failed(changed.Error);
        }
        // Only the login chain the change was made from stays: whatever else holds the customer's families (another
        // phone, another browser, another identifier on this device's id) logs in again.
        List<string> keep = family.AuthorizedByFamilyId is { } authorizedBy ? [family.Id, authorizedBy] : [family.Id];
        await RecordAsync(family.CustomerId, Event(SecurityEventKind.PasswordChanged, family));
        await RevokeCustomerFamiliesAsync(changed, family.CustomerId, mfaOnly: kind == PasswordKind.Mfa, keep, RevocationReasons.PasswordChanged);
        return Outcome.Ok;
    }

    public async Task<Outcome> ResetPasswordAsync(SessionFlow flow, string sessionId, string? otp, string newPassword)
    {
        if (OpenSession(flow, sessionId) is not { } session)
        {
            return Outcome.Failed(AuthError.InvalidSession);
        }
        var owner = await IdentifierGrain.GetCustomerIdAsync();
        var customerId = flow == SessionFlow.Mfa ? session.CustomerId : owner;
        if (customerId is null)
        {
            return Outcome.Failed(AuthError.InvalidSession);
        }
        if (flow == SessionFlow.Mfa && owner != customerId)
        {
            // An identifier being enrolled proves nothing about the customer's existing second factor.
            return Outcome.Failed(AuthError.InvalidDetails);
        }

        var verified = _brand.SkipOtpOnReset ? await IdentifierGrain.CheckLockAsync()
            : otp is null ? Outcome.Failed(AuthError.OtpNotGenerated)
            : await CheckOtpAsync(session, otp);
        if (!verified.Succeeded)
        {
            return verified;
        }
        if (await passwords.TryHashAsync(newPassword) is not { } newHash)
        {
            // The session and its OTP stay as they were: the retry finds them.
            return Outcome.Failed(AuthError.TooManyRequests, PasswordWorkRetryAfter);
        }

        var kind = flow == SessionFlow.Login ? PasswordKind.Primary : PasswordKind.Mfa;
        var changed = await Customer(customerId).ResetPasswordAsync(kind, newHash);
        if (changed.Error != AuthError.None)
        {
            // The customer was erased meanwhile.
            return Outcome.Failed(changed.Error);
        }
        await RecordAsync(customerId, Event(SecurityEventKind.PasswordReset, null) with { Flow = FlowName(Channel.Mobile, flow) });
        await RevokeCustomerFamiliesAsync(changed, customerId, mfaOnly: kind == PasswordKind.Mfa, keep: [], RevocationReasons.PasswordReset);
        State.EndSession(session);
        await SaveAsync();
        await ReleaseOpenLoginAsync(session);
        return Outcome.Ok;
    }

    /// <summary>Checks an OTP against the session; a wrong one is counted on the session and on the identifier.</summary>
    private async Task<Outcome> CheckOtpAsync(PendingSession session, string otp)
    {
        if (session.OtpFailures >= _brand.Otp.MaxAttempts)
        {
            return Outcome.Failed(AuthError.OtpAttemptsExhausted);
        }
        if (session.OtpHash is null)
        {
            return Outcome.Failed(AuthError.OtpNotGenerated);
        }

        var ended = await AttemptAsync(IdentifierGrain, () => Task.FromResult<bool?>(Now < session.OtpExpiresAt ? otpHasher.Matches(session.OtpHash, session.Id, otp) : null));
        if (ended.Evaluated is not { } matched)
        {
            return ended.Outcome.Succeeded ? Outcome.Failed(AuthError.InvalidOtp) : ended.Outcome;
        }
        if (matched)
        {
            return Outcome.Ok;
        }

        var failures = session.OtpFailures + 1;
        State.PutSession(session with { OtpFailures = failures });
        await SaveAsync();
        return !ended.Outcome.Succeeded ? ended.Outcome
            : Outcome.Failed(failures >= _brand.Otp.MaxAttempts ? AuthError.OtpAttemptsExhausted : AuthError.InvalidOtp);
    }

    /// <summary>
    /// Checks the customer's password for the session; a wrong one (or no customer, or no password) is counted on
    /// the session and on the identifier, like a wrong OTP. An MFA session that carries a first-time password takes
    /// that password, for a customer who has none yet.
    /// </summary>
    private async Task<Outcome> CheckPasswordAsync(PendingSession session, string? customerId, string password)
    {
        if (session.PasswordFailures >= _brand.Password.MaxAttempts)
        {
            return Outcome.Failed(AuthError.PasswordAttemptsExhausted);
        }

        var kind = session.Flow == SessionFlow.Login ? PasswordKind.Primary : PasswordKind.Mfa;
        var ended = await AttemptAsync(IdentifierGrain, async () =>
        {
            var hash = customerId is null ? null : await Customer(customerId).GetPasswordHashAsync(kind);
            if (hash is null)
            {
                return session is { Flow: SessionFlow.Mfa, SealedPassword: { } sealedPassword } && pendingPasswords.Matches(session.Id, sealedPassword, password);
            }
            return await VerifyAsync(Customer(customerId!), kind, hash, password);
        });
        if (ended.Evaluated is not { } matched)
        {
            return ended.Outcome.Succeeded ? Outcome.Failed(AuthError.TooManyRequests, PasswordWorkRetryAfter) : ended.Outcome;
        }
        if (matched)
        {
            return Outcome.Ok;
        }

        var failures = session.PasswordFailures + 1;
        State.PutSession(session with { PasswordFailures = failures });
        await SaveAsync();
        return !ended.Outcome.Succeeded ? ended.Outcome
            : Outcome.Failed(failures >= _brand.Password.MaxAttempts ? AuthError.PasswordAttemptsExhausted : AuthError.InvalidPassword);
    }

    /// <summary>The current password of a change, checked like a login's; the hash it matched, or why not.</summary>
    private async Task<(string? Hash, Outcome Refusal)> CheckCurrentPasswordAsync(ICustomerGrain customer, PasswordKind kind, string password)
    {
        string? matchedHash = null;
        var ended = await AttemptAsync(IdentifierGrain, async () =>
        {
            if (await customer.GetPasswordHashAsync(kind) is not { } hash)
            {
                return false;
            }
            var verified = await VerifyAsync(customer, kind, hash, password);
            matchedHash = verified == true ? hash : null;
            return verified;
        });
        return ended.Evaluated switch
        {
            true => (matchedHash, Outcome.Ok),
            false => (null, ended.Outcome.Succeeded ? Outcome.Failed(AuthError.InvalidPassword) : ended.Outcome),
            null => (null, ended.Outcome.Succeeded ? Outcome.Failed(AuthError.TooManyRequests, PasswordWorkRetryAfter) : ended.Outcome),
        };
    }

    /// <summary>
    /// Verifies on the bounded pool: null when it is full. A hash in an older format is upgraded, best effort: the
    /// login has already passed.
    /// </summary>
    private async Task<bool?> VerifyAsync(ICustomerGrain customer, PasswordKind kind, string hash, string password)
    {
        switch (await passwords.TryVerifyAsync(hash, password))
        {
            case null:
                return null;
            case PasswordVerificationResult.Success:
                return true;
            case PasswordVerificationResult.SuccessRehashNeeded:
                if (await passwords.TryHashAsync(password) is { } upgraded)
                {
                    await customer.UpgradePasswordHashAsync(kind, hash, upgraded);
                }
                return true;
            default:
                return false;
        }
    }

    /// <summary>
    /// One credential check, admitted by the identifier before it runs and reported to it after: what the check
    /// found (null: it could not be evaluated, or was not admitted) and what the identifier answered (1550 when
    /// locked, or when this failure locked it).
    /// </summary>
    private static async Task<(bool? Evaluated, Outcome Outcome)> AttemptAsync(IIdentifierGrain identifier, Func<Task<bool?>> check)
    {
        var attemptId = RandomIds.NewTokenId();
        if (await identifier.BeginAttemptAsync(attemptId) is { Succeeded: false } refused)
        {
            return (null, refused);
        }

        bool? evaluated;
        try
        {
            evaluated = await check();
        }
        catch
        {
            try
            {
                await identifier.EndAttemptAsync(attemptId, AttemptResult.NotEvaluated);
            }
            catch (Exception e) when (e is OrleansException or TimeoutException)
            {
                // Its lease ends it, counted as a failure: the conservative side.
            }
            throw;
        }
        var result = evaluated switch { true => AttemptResult.Succeeded, false => AttemptResult.Failed, null => AttemptResult.NotEvaluated };
        return (evaluated, await identifier.EndAttemptAsync(attemptId, result));
    }
}
