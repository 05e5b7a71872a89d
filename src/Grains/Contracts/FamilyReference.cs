namespace Sessions.Grains.Contracts;

/// <summary>A key family on some device session (a token's <c>org</c>, <c>idv</c>, <c>dev</c> and <c>sid</c>): where to ask whether it lives.</summary>
[GenerateSerializer, Immutable, Alias("sessions.family-reference")]
public sealed record FamilyReference
{
    [Id(0)] public string DeviceSessionKey { get; init; } = "";
    [Id(1)] public string FamilyId { get; init; } = "";

    /// <summary>The customer the token names (<c>uid</c>); the family must be theirs.</summary>
    [Id(2)] public string CustomerId { get; init; } = "";
}
