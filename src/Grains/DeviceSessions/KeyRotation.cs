using Sessions.Grains.Contracts;

namespace Sessions.Grains.DeviceSessions;

/// <summary>
/// The one rule by which a family's current credential is exchanged (API.md §5), for mobile keys and web tokens
/// alike: the current one rotates (or, with rotation off, stays); the previous one within the grace gets the same
/// successor again; any other one is a replay and revokes the family.
/// </summary>
internal static class KeyRotation
{
    // Touching "last used" on every non-rotating regenerate would cost a storage write per call; an hour of
    // imprecision on a 90-day idle limit is immaterial.
    private static readonly TimeSpan LastUsedResolution = TimeSpan.FromHours(1);

    public static Exchange Exchange(KeyFamily family, string presentedId, DateTimeOffset now, TimeSpan grace, Func<IssuedKey>? rotateTo)
    {
        if (presentedId == family.CurrentKey.KeyId)
        {
            if (rotateTo is not null)
            {
                var successor = rotateTo();
                var rotated = family with { PreviousKeyId = family.CurrentKey.KeyId, RotatedAt = now, CurrentKey = successor, LastUsedAt = now };
                return new Exchange(rotated, successor, AuthError.None, Changed: true);
            }
            return now - family.LastUsedAt >= LastUsedResolution
                ? new Exchange(family with { LastUsedAt = now }, null, AuthError.None, Changed: true)
                : new Exchange(family, null, AuthError.None, Changed: false);
        }

        if (presentedId == family.PreviousKeyId && now - family.RotatedAt <= grace)
        {
            // A retry of a regenerate whose answer was lost, or a concurrent twin: the same successor again.
            return new Exchange(family, family.CurrentKey, AuthError.None, Changed: false);
        }

        return new Exchange(family with { RevokedAt = now, RevokedForReuse = true }, null, AuthError.KeyReused, Changed: true);
    }
}

/// <summary>What an exchange decided: the family to store, the credential to hand out, and whether to write.</summary>
internal readonly record struct Exchange(KeyFamily Family, IssuedKey? HandOut, AuthError Error, bool Changed);
