namespace Sessions.Grains.Contracts;

/// <summary>The answer of a call that only acts: an error, and when to come back if the error is a limit.</summary>
[GenerateSerializer, Immutable, Alias("sessions.outcome")]
public sealed record Outcome
{
    public static readonly Outcome Ok = new();

    [Id(0)] public AuthError Error { get; init; }
    [Id(1)] public TimeSpan? RetryAfter { get; init; }

    public bool Succeeded => Error == AuthError.None;

    public static Outcome Failed(AuthError error, TimeSpan? retryAfter = null) => new() { Error = error, RetryAfter = retryAfter };
}
