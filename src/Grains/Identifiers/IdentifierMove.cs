using Sessions.Grains.Contracts;
using Sessions.Grains.Identity;

namespace Sessions.Grains.Identifiers;

/// <summary>
/// Moves a customer's link from one identifier value to another of the same brand and type, in three steps that are
/// each idempotent: the old value writes the move down, the new value claims the link, the old value lets it go (or
/// keeps it when the claim was refused). The caller drives the steps, so neither identifier grain waits on the other
/// while holding its turn: two values moving onto each other at once both answer "in use" at once instead of
/// waiting on each other. A crash between steps is settled by the old value's next call.
/// </summary>
public static class IdentifierMove
{
    /// <summary>
    /// <see cref="AuthError.None"/> when the customer now holds <paramref name="newValue"/> (a retry of a completed move
    /// included), <see cref="AuthError.IdentifierMismatch"/> when <paramref name="current"/> is not the customer's, and
    /// <see cref="AuthError.InvalidDetails"/> when the new value is in use.
    /// </summary>
    public static async Task<AuthError> RunAsync(IGrainFactory grains, Identifier current, string newValue, string customerId)
    {
        var old = grains.GetGrain<IIdentifierGrain>(GrainKeys.Identifier(current));
        switch (await old.BeginMoveAsync(customerId, newValue))
        {
            case MoveStart.AlreadyMoved:
                return AuthError.None;
            case MoveStart.NotOwner:
                return AuthError.IdentifierMismatch;
        }

        var target = grains.GetGrain<IIdentifierGrain>(GrainKeys.Identifier(current with { Value = newValue }));
        if (!await target.ClaimAsync(customerId, current.Value))
        {
            await old.AbortMoveAsync(newValue);
            return AuthError.InvalidDetails;
        }
        return await old.CompleteMoveAsync(customerId, newValue) ? AuthError.None : AuthError.IdentifierMismatch;
    }
}
