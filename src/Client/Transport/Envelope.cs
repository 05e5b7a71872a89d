using System.Text.Json.Serialization;
using Sessions.Client.Keeping;

namespace Sessions.Client.Transport;

/// <summary>The envelope every <c>/auth/v1</c> answer is (API.md §1).</summary>
internal sealed record Envelope(EnvelopeStatus Status, EnvelopeAuth? Auth, EnvelopeUser? User,
    IReadOnlyList<SignedInDevice>? Sessions = null, int? Revoked = null);

internal sealed record EnvelopeStatus(bool Success, int Code, string Message);

internal sealed record EnvelopeAuth(string? Token, string? Key);

internal sealed record EnvelopeUser(bool? AppRegistered, string? SessionId, string? Role, bool? UserRegisteredForPassword);

/// <summary>Source-generated JSON, so that the library trims and runs under native AOT.</summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, PropertyNameCaseInsensitive = true,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(Envelope))]
[JsonSerializable(typeof(StoredSession))]
internal sealed partial class ClientJson : JsonSerializerContext;
