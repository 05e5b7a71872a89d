using Sessions.Grains.Configuration;
using Sessions.Grains.Contracts;

namespace Sessions.Grains.DeviceSessions;

/// <summary>
/// When a key family ends by its brand's rules (API.md §5): a mobile family by its key expiry (from its creation) and
/// KeyIdleDays (from its last use), a web family by its idle minutes and maximum age. The device session grain and the
/// store sweep (through <see cref="DeviceSessionState.ForgetWhatEnded"/>) read the same rules.
/// </summary>
internal static class FamilyLifetime
{
    /// <summary>How long a revoked family is kept, so that a replay of one of its keys is still recognised (1525, an audit event).</summary>
    public static readonly TimeSpan RevokedRetention = TimeSpan.FromDays(30);

    /// <summary>The absolute lifetime of a mobile family's keys, if the brand sets one.</summary>
    public static TimeSpan? MobileKeyLifetime(BrandOptions brand, SessionFlow flow) =>
        (flow == SessionFlow.Login ? brand.KeyExpiryMinutes : brand.MfaKeyExpiryMinutes) is { } minutes
            ? TimeSpan.FromMinutes(minutes)
            : null;

    public static bool IsExpired(KeyFamily family, BrandOptions brand, DateTimeOffset now) =>
        family.Channel == Channel.Web ? IsWebExpired(family, brand, now) : IsMobileExpired(family.Flow, family, brand, now);

    public static bool IsMobileExpired(SessionFlow flow, KeyFamily family, BrandOptions brand, DateTimeOffset now) =>
        MobileKeyLifetime(brand, flow) is { } lifetime && now >= family.CreatedAt + lifetime
        || now - family.LastUsedAt > TimeSpan.FromDays(brand.KeyIdleDays);

    public static bool IsWebExpired(KeyFamily family, BrandOptions brand, DateTimeOffset now) =>
        now >= family.CreatedAt.AddHours(brand.Web.MaxHours)
        || now >= family.CurrentKey.ExpiresAt!.Value.AddMinutes(brand.Web.IdleMinutes);

    /// <summary>When the family stops working unless it is used again (a live family's idle limit moves with each use).</summary>
    public static DateTimeOffset ExpiresAt(KeyFamily family, BrandOptions brand)
    {
        if (family.Channel == Channel.Web)
        {
            var idle = family.CurrentKey.ExpiresAt!.Value.AddMinutes(brand.Web.IdleMinutes);
            var age = family.CreatedAt.AddHours(brand.Web.MaxHours);
            return idle < age ? idle : age;
        }
        var idleLimit = family.LastUsedAt + TimeSpan.FromDays(brand.KeyIdleDays);
        return MobileKeyLifetime(brand, family.Flow) is { } lifetime && family.CreatedAt + lifetime < idleLimit ? family.CreatedAt + lifetime : idleLimit;
    }

    /// <summary>
    /// Whether the state may forget the family: revoked more than <see cref="RevokedRetention"/> ago, or expired (an
    /// expired key answers 1597, as an unknown one does, so nothing is lost by forgetting it).
    /// </summary>
    public static bool IsForgettable(KeyFamily family, BrandOptions brand, DateTimeOffset now) =>
        family.RevokedAt is { } revokedAt ? revokedAt < now - RevokedRetention : IsExpired(family, brand, now);
}
