namespace Sessions.Grains.Contracts;

/// <summary>One identifier of a brand (key from <see cref="Identity.GrainKeys.Identifier"/>): which customer owns it.</summary>
[Alias("sessions.identifier")]
public interface IIdentifierGrain : IGrainWithStringKey
{
    [Alias("get-customer")]
    Task<string?> GetCustomerIdAsync();

    /// <summary>Returns the owning customer, creating one on the identifier's first successful first factor.</summary>
    [Alias("ensure-customer")]
    Task<string> EnsureCustomerIdAsync();

    /// <summary>Links the identifier to <paramref name="customerId"/>; false when another customer owns it.</summary>
    [Alias("link")]
    Task<bool> LinkAsync(string customerId);
}
