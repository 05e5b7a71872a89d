namespace Sessions.Grains.Contracts;

/// <summary>
/// Signs a customer's families out from outside their device sessions (key from <see cref="Identity.GrainKeys.Customer"/>):
/// the customer's own sign-outs from a signed-in device, and support staff's. One sign-out at a time: a customer's
/// runs from the check of their own login to the last revocation within one turn, so two devices that sign each other
/// out at once cannot both win. Device sessions never call it, so it may call them.
/// </summary>
[Alias("sessions.customer-sign-outs")]
public interface ICustomerSignOutsGrain : IGrainWithStringKey
{
    /// <summary>
    /// Revokes one live family of the customer: <see cref="AuthError.InvalidDetails"/> when there is none by that id.
    /// A <paramref name="caller"/> (the customer's own login) must still live, and must be a recent login unless the
    /// family is its own (a logout).
    /// </summary>
    [Alias("revoke-family")]
    Task<SignOutOutcome> RevokeFamilyAsync(string familyId, string reason, FamilyReference? caller);

    /// <summary>
    /// Revokes every live family of the customer on every device and browser; with a <paramref name="caller"/>, which
    /// must be a recent login that still lives, all but its login chain (its family and the family that authorised it).
    /// </summary>
    [Alias("revoke-all")]
    Task<SignOutOutcome> RevokeAllAsync(string reason, FamilyReference? caller);
}

/// <summary>How many families a sign-out revoked, or why it revoked none.</summary>
[GenerateSerializer, Immutable, Alias("sessions.sign-out-outcome")]
public sealed record SignOutOutcome
{
    [Id(0)] public AuthError Error { get; init; }
    [Id(1)] public int Revoked { get; init; }

    public bool Succeeded => Error == AuthError.None;

    public static SignOutOutcome SignedOut(int revoked) => new() { Revoked = revoked };

    public static SignOutOutcome Failed(AuthError error) => new() { Error = error };
}
