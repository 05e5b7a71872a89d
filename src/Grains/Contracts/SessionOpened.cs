namespace Sessions.Grains.Contracts;

/// <summary>The answer to opening a login or MFA session.</summary>
[GenerateSerializer, Immutable, Alias("sessions.session-opened")]
public sealed record SessionOpened
{
    [Id(0)] public AuthError Error { get; init; }
    [Id(1)] public string? SessionId { get; init; }
    [Id(2)] public DateTimeOffset ExpiresAt { get; init; }
    [Id(3)] public bool AppRegistered { get; init; }
    [Id(4)] public bool UserRegisteredForPassword { get; init; }
    [Id(5)] public TimeSpan? RetryAfter { get; init; }

    public static SessionOpened Failed(AuthError error, TimeSpan? retryAfter = null) => new() { Error = error, RetryAfter = retryAfter };
}
