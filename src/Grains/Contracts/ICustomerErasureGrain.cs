namespace Sessions.Grains.Contracts;

/// <summary>
/// Erases one customer (key from <see cref="Identity.GrainKeys.Customer"/>), for a customer who asked their brand to
/// delete their account: every family forgotten, every identifier released (so it starts a new customer at its next
/// login), the password hashes and the security history dropped. What stays is the customer id and when it was erased
/// (with a <c>CUSTOMER_ERASED</c> line in their history), so that a login racing the erasure cannot bring them back.
/// Device sessions never call it, so it may call them.
/// </summary>
[Alias("sessions.customer-erasure")]
public interface ICustomerErasureGrain : IGrainWithStringKey
{
    /// <summary>
    /// Erases the customer, naming <paramref name="erasedBy"/> (an admin key's id) in the history line; idempotent: a retry
    /// of one that failed part-way finishes it, and one of a finished erasure changes nothing.
    /// </summary>
    [Alias("erase")]
    Task<CustomerErased> EraseAsync(string erasedBy);
}

/// <summary>What an erasure did: nothing, when <see cref="Found"/> is false (no such customer).</summary>
[GenerateSerializer, Immutable, Alias("sessions.customer-erased")]
public sealed record CustomerErased
{
    [Id(0)] public bool Found { get; init; }
    [Id(1)] public DateTimeOffset ErasedAt { get; init; }

    /// <summary>The live families this call revoked.</summary>
    [Id(2)] public int Revoked { get; init; }

    /// <summary>The identifiers this call unlinked from the customer.</summary>
    [Id(3)] public int IdentifiersReleased { get; init; }
}
