namespace Sessions.Client;

/// <summary>
/// A device or browser the customer is signed in on, as <see cref="SessionKeeper.ListSignedInDevicesAsync"/> lists
/// it: the identifier masked (<c>********754</c>, <c>a***@example.com</c>), the app's device id (null for the brand's
/// website) and the live sessions there.
/// </summary>
public sealed record SignedInDevice(string IdentifierType, string IdentifierValue, string? DeviceId, IReadOnlyList<SignedInSession> Families);

/// <summary>
/// One live session (a key family): its flow (<c>PRIMARY</c>, <c>MFA</c> or <c>WEB</c>), when it was logged in and last
/// used, when it ends unless used, and whether it is this keeper's own (<see cref="Current"/>).
/// </summary>
public sealed record SignedInSession(string FamilyId, string Flow, DateTimeOffset CreatedAt, DateTimeOffset LastUsedAt, DateTimeOffset ExpiresAt,
    bool DeviceBound, bool Current);
