namespace Sessions.Grains.Contracts;

/// <summary>
/// What a successful validate or regenerate grants: the customer, the role and the key family the new token
/// belongs to, and the key to hand out (if any). The grain decides; the API signs.
/// </summary>
[GenerateSerializer, Immutable, Alias("sessions.grant")]
public sealed record Grant
{
    [Id(0)] public AuthError Error { get; init; }
    [Id(1)] public string CustomerId { get; init; } = "";
    [Id(2)] public SessionRole Role { get; init; }
    [Id(3)] public string FamilyId { get; init; } = "";
    [Id(4)] public IssuedKey? Key { get; init; }
    [Id(5)] public TimeSpan? RetryAfter { get; init; }

    /// <summary>Web: <see cref="Key"/> holds the claims of the USER token itself, and no key is handed out.</summary>
    [Id(6)] public Channel Channel { get; init; }

    /// <summary>The device key the family is bound to (API.md §4.7): its tokens and keys carry it as <c>cnf.jkt</c>.</summary>
    [Id(7)] public string? DeviceKeyThumbprint { get; init; }

    public bool Succeeded => Error == AuthError.None;

    public static Grant Failed(AuthError error, TimeSpan? retryAfter = null) => new() { Error = error, RetryAfter = retryAfter };

    public static Grant Failed(Outcome outcome) => Failed(outcome.Error, outcome.RetryAfter);
}

/// <summary>
/// The claims that make up one key. Re-signing the same claims gives the byte-identical key, which is how the retry
/// grace hands out the same successor without the store ever holding a usable key.
/// </summary>
[GenerateSerializer, Immutable, Alias("sessions.issued-key")]
public sealed record IssuedKey
{
    [Id(0)] public string KeyId { get; init; } = "";
    [Id(1)] public DateTimeOffset IssuedAt { get; init; }
    [Id(2)] public DateTimeOffset? ExpiresAt { get; init; }
}
