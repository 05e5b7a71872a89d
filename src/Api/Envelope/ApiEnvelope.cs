using System.Text.Json.Serialization;

namespace Sessions.Api.Envelope;

/// <summary>The response body of every <c>/auth/v1</c> call (API.md §1). Sections that do not apply are left out.</summary>
public sealed record ApiEnvelope(
    EnvelopeStatus Status,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] EnvelopeAuth? Auth = null,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] EnvelopeUser? User = null,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] EnvelopeIdentifiers? Identifiers = null,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] IReadOnlyList<SignedInDevice>? Sessions = null,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] int? Revoked = null);

public sealed record EnvelopeStatus(bool Success, int Code, string Message);

/// <summary>Inside <c>auth</c>, both fields are always written, null when they do not apply.</summary>
public sealed record EnvelopeAuth(string? Token, string? Key);

/// <summary>Inside <c>user</c>, every field is always written, null when it does not apply.</summary>
public sealed record EnvelopeUser(bool? AppRegistered, string? SessionId, string? Role, bool? UserRegisteredForPassword);

public sealed record EnvelopeIdentifiers(IReadOnlyList<string>? IdentifierList);

/// <summary>
/// One device session in the customer's list of signed-in devices (README, "Signed-in devices"): the identifier
/// masked as in the audit trail, the device id (null for the identifier's browsers) and the live families on it.
/// </summary>
public sealed record SignedInDevice(string IdentifierType, string IdentifierValue, string? DeviceId, IReadOnlyList<SignedInFamily> Families);

/// <summary>One live family; <c>Current</c> marks the family of the token the list was asked with.</summary>
public sealed record SignedInFamily(string FamilyId, string Flow, DateTimeOffset CreatedAt, DateTimeOffset LastUsedAt, DateTimeOffset ExpiresAt, bool DeviceBound, bool Current);

/// <summary>The dev outbox's own shape (API.md §7).</summary>
public sealed record DevOutboxEntry(string Otp, string Purpose, string DeviceId, DateTimeOffset ExpiresAt);

[JsonSourceGenerationOptions(System.Text.Json.JsonSerializerDefaults.Web)]
[JsonSerializable(typeof(ApiEnvelope))]
[JsonSerializable(typeof(DevOutboxEntry))]
internal sealed partial class EnvelopeJson : JsonSerializerContext;
