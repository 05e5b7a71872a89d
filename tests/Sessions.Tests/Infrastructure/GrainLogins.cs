using Sessions.Grains;
using Sessions.Grains.Contracts;
using Sessions.Grains.Identity;

namespace Sessions.Tests.Infrastructure;

/// <summary>Logs device sessions in through the grains, as the API would, for grain-level tests.</summary>
public static class GrainLogins
{
    /// <summary>A fresh device session through the first factor and MFA by OTP: its grain key and the MFA grant.</summary>
    public static async Task<(string Key, Grant Grant)> MfaAsync(IGrainFactory grains, string brand = TestBrands.Demo)
    {
        var identifier = new Identifier(brand, IdentifierType.MOBILE, "1" + Random.Shared.NextInt64(1_000_000_000, 9_999_999_999).ToString(System.Globalization.CultureInfo.InvariantCulture));
        var key = GrainKeys.DeviceSession(identifier, $"device-{Guid.NewGuid():N}");
        return (key, await LogInAsync(grains, key, identifier, SessionFlow.Mfa));
    }

    /// <summary>The first factor by OTP and, for the MFA flow, the second factor by OTP on the same identifier.</summary>
    public static async Task<Grant> LogInAsync(IGrainFactory grains, string key, Identifier identifier, SessionFlow flow, string? fixedCode = null)
    {
        var grain = grains.GetGrain<IDeviceSessionGrain>(key);
        var outbox = grains.GetGrain<IDevOutboxGrain>(GrainKeys.Identifier(identifier));
        var login = await grain.OpenLoginSessionAsync(Channel.Mobile, pendingPassword: null);
        Assert.Equal(AuthError.None, (await grain.SendOtpAsync(SessionFlow.Login, login.SessionId!)).Error);
        var first = await grain.ValidateOtpAsync(SessionFlow.Login, login.SessionId!, fixedCode ?? (await outbox.GetLatestAsync())!.Code);
        Assert.Equal(AuthError.None, first.Error);
        if (flow == SessionFlow.Login)
        {
            return first;
        }

        var authorizedBy = new FamilyReference { DeviceSessionKey = key, FamilyId = first.FamilyId, CustomerId = first.CustomerId };
        var mfa = await grain.OpenMfaSessionAsync(Channel.Mobile, authorizedBy, pendingMfaPassword: null);
        Assert.Equal(AuthError.None, (await grain.SendOtpAsync(SessionFlow.Mfa, mfa.SessionId!)).Error);
        var second = await grain.ValidateOtpAsync(SessionFlow.Mfa, mfa.SessionId!, (await outbox.GetLatestAsync())!.Code);
        Assert.Equal(AuthError.None, second.Error);
        return second;
    }

    /// <summary>
    /// Retries a call that failed because a silo went away or a write conflicted, as a mobile app retries a 503 —
    /// with the same key, which the retry grace answers with the same successor if the first try had committed.
    /// </summary>
    public static async Task<T> RetryingAsync<T>(Func<Task<T>> call)
    {
        var deadline = DateTime.UtcNow.AddSeconds(90);
        while (true)
        {
            try
            {
                return await call();
            }
            catch (Exception e) when (e is OrleansException or TimeoutException && DateTime.UtcNow < deadline)
            {
                await Task.Delay(100);
            }
        }
    }
}
