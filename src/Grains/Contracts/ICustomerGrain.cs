namespace Sessions.Grains.Contracts;

/// <summary>One customer of a brand (key from <see cref="Identity.GrainKeys.Customer"/>): credentials and MFA history.</summary>
[Alias("sessions.customer")]
public interface ICustomerGrain : IGrainWithStringKey
{
    [Alias("profile")]
    Task<CustomerProfile> GetProfileAsync();

    [Alias("verify-password")]
    Task<bool> VerifyPasswordAsync(PasswordKind kind, string password);

    /// <summary>Records a passed first factor; sets the primary password if the customer has none yet.</summary>
    [Alias("first-factor")]
    Task<CustomerProfile> CompleteFirstFactorAsync(string? pendingPasswordHash);

    /// <summary>Records a passed second factor; sets the MFA password if the customer has none yet.</summary>
    [Alias("second-factor")]
    Task CompleteSecondFactorAsync(string? pendingMfaPasswordHash);
}

[GenerateSerializer, Alias("sessions.password-kind")]
public enum PasswordKind
{
    Primary,
    Mfa,
}

[GenerateSerializer, Immutable, Alias("sessions.customer-profile")]
public sealed record CustomerProfile
{
    [Id(0)] public bool HasPassword { get; init; }
    [Id(1)] public bool HasMfaPassword { get; init; }
    [Id(2)] public bool MfaCompleted { get; init; }
}
