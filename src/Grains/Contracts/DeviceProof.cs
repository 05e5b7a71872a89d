namespace Sessions.Grains.Contracts;

/// <summary>
/// A device proof (RFC 9449, API.md §4.7) as the API hands it to the family's grain: its request checks passed (type,
/// algorithm, public key, method, URL, freshness), and what is left to decide is the family's: whether the signature is
/// by the key (verified in the grain, which keeps the family's device key imported for its activation), whether that
/// key is the family's, and whether the proof was seen before.
/// </summary>
[GenerateSerializer, Immutable, Alias("sessions.device-proof")]
public sealed record DeviceProof
{
    /// <summary>The proof key's JWK SHA-256 thumbprint (RFC 7638), base64url: the family's binding.</summary>
    [Id(0)] public string KeyThumbprint { get; init; } = "";

    /// <summary>A hash of the proof's <c>jti</c>, the form the family remembers it in.</summary>
    [Id(1)] public string ProofId { get; init; } = "";

    /// <summary>Until when the proof could be fresh, and so until when its id must be refused a second time.</summary>
    [Id(2)] public DateTimeOffset FreshUntil { get; init; }

    /// <summary>The proof key: the P-256 point, x then y, 32 bytes each.</summary>
    [Id(3)] public byte[] PublicKey { get; init; } = [];

    /// <summary>What the signature covers: the JWS's encoded header and payload, as ASCII.</summary>
    [Id(4)] public byte[] SignedData { get; init; } = [];

    /// <summary>The ES256 signature, r then s, 32 bytes each.</summary>
    [Id(5)] public byte[] Signature { get; init; } = [];
}
