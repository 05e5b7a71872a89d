namespace Sessions.Grains.Customers;

[GenerateSerializer, Alias("sessions.customer-state")]
public sealed class CustomerState
{
    [Id(0)] public string? PasswordHash { get; set; }
    [Id(1)] public string? MfaPasswordHash { get; set; }
    [Id(2)] public bool MfaCompleted { get; set; }

    /// <summary>The unbounded, unordered set that states written before the limit held; moved into <see cref="DeviceSessions"/> on activation.</summary>
    [Id(3)] public HashSet<string>? LegacyDeviceSessions { get; set; }

    /// <summary>
    /// The device sessions that may hold this customer's key families, least recently logged in first: where to
    /// revoke on a password change, and what the brand's MaxDeviceSessions bounds.
    /// </summary>
    [Id(4)] public List<CustomerDeviceSession> DeviceSessions { get; set; } = [];

    /// <summary>Counts logins, so that a revocation forgets only entries that no later login renewed.</summary>
    [Id(5)] public long LoginSequence { get; set; }

    /// <summary>Identifier keys moved away from this customer (newest last, a few kept): logins under them are refused.</summary>
    [Id(6)] public List<string> MovedIdentifiers { get; set; } = [];

    /// <summary>
    /// The identifier keys linked to this customer, as their logins and moves showed them: what an erasure releases.
    /// States written before it get it from <see cref="DeviceSessions"/> on activation.
    /// </summary>
    [Id(7)] public List<string> Identifiers { get; set; } = [];

    /// <summary>Set once the customer is erased; from then on nothing completes for them.</summary>
    [Id(8)] public DateTimeOffset? ErasedAt { get; set; }

    /// <summary>Whether the erasure's last step ran: everything that linked to the customer is revoked, released and forgotten.</summary>
    [Id(9)] public bool ErasureCompleted { get; set; }

    /// <summary>Who asked for the erasure (an admin key's id), for its history line.</summary>
    [Id(10)] public string? ErasedBy { get; set; }
}

/// <summary>One device session of a customer: its grain key, its last login, and that login's sequence number.</summary>
[GenerateSerializer, Immutable, Alias("sessions.customer-device-session")]
public sealed record CustomerDeviceSession
{
    [Id(0)] public string Key { get; init; } = "";
    [Id(1)] public DateTimeOffset LastLoginAt { get; init; }
    [Id(2)] public long Sequence { get; init; }
}
