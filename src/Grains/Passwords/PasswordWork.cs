using System.Diagnostics.Metrics;
using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.Options;
using Sessions.Grains.Configuration;

namespace Sessions.Grains.Passwords;

/// <summary>
/// Every password hash and verification of this silo, on a bounded number of threads (API.md §7). PBKDF2 costs tens of
/// milliseconds of CPU; a caller that finds every slot taken is refused at once (<see cref="AuthError.TooManyRequests"/>)
/// rather than queued, so a flood of password-bearing requests cannot starve the regenerates of CPU.
/// </summary>
public sealed class PasswordWork
{
    public const string MeterName = "Sessions.Passwords";

    private readonly SemaphoreSlim _slots;
    private readonly Counter<long> _work;
    private long _ran;
    private long _refused;

    public PasswordWork(IOptions<SessionsOptions> options, IMeterFactory meters)
    {
        _slots = new SemaphoreSlim(options.Value.PasswordHashing.EffectiveMaxConcurrency);
        _work = meters.Create(MeterName).CreateCounter<long>("sessions.password.work", description: "Password hashes and verifications, run or refused because the pool was full");
    }

    /// <summary>How many hashes and verifications ran since the start.</summary>
    public long Ran => Interlocked.Read(ref _ran);

    /// <summary>How many were refused because every slot was taken.</summary>
    public long Refused => Interlocked.Read(ref _refused);

    /// <summary>A new hash of <paramref name="password"/>, or null when the pool is full.</summary>
    public Task<string?> TryHashAsync(string password) => TryRunAsync(() => PasswordHashing.Hash(password));

    /// <summary>How <paramref name="password"/> compares with <paramref name="hash"/>, or null when the pool is full.</summary>
    public async Task<PasswordVerificationResult?> TryVerifyAsync(string hash, string password) =>
        await TryRunAsync<PasswordVerificationResult?>(() => PasswordHashing.Verify(hash, password));

    private async Task<T?> TryRunAsync<T>(Func<T> work)
    {
        if (!_slots.Wait(0))
        {
            Interlocked.Increment(ref _refused);
            _work.Add(1, new KeyValuePair<string, object?>("outcome", "refused"));
            return default;
        }
        try
        {
            Interlocked.Increment(ref _ran);
            _work.Add(1, new KeyValuePair<string, object?>("outcome", "ran"));
            // Off the caller's turn: the thread pool runs it while the grain awaits.
            return await Task.Run(work);
        }
        finally
        {
            _slots.Release();
        }
    }
}
