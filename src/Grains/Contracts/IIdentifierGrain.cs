namespace Sessions.Grains.Contracts;

/// <summary>
/// One identifier of a brand (key from <see cref="Identity.GrainKeys.Identifier"/>): which customer owns it, and the
/// limits that hold across all its devices and sessions (API.md §7): OTP sends per window, failures and the lock.
/// Being one grain, its counters are exact however many requests arrive at once.
/// </summary>
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

    /// <summary>Takes one OTP send from the window; refused while locked or when the window is used up.</summary>
    [Alias("reserve-send")]
    Task<Outcome> TryReserveOtpSendAsync();

    /// <summary>Gives a reserved send back: the delivery failed, and a failed delivery does not count.</summary>
    [Alias("release-send")]
    Task ReleaseOtpSendAsync();

    /// <summary>Refused (1550) while the identifier is locked.</summary>
    [Alias("check-lock")]
    Task<Outcome> CheckLockAsync();

    /// <summary>Counts a wrong OTP or password; answers 1550 when this failure locks the identifier.</summary>
    [Alias("record-failure")]
    Task<Outcome> RecordFailureAsync();

    /// <summary>A credential was right: the failure count starts again.</summary>
    [Alias("record-success")]
    Task RecordSuccessAsync();

    /// <summary>
    /// Moves this identifier's link to <paramref name="customerId"/> onto <paramref name="newValue"/> (same brand and
    /// type): 1519 when the new value is in use, 1507 when this identifier is not the customer's. A retry of a
    /// completed move succeeds.
    /// </summary>
    [Alias("move-to")]
    Task<AuthError> MoveToAsync(string customerId, string newValue);

    /// <summary>The new side of a move: links the unlinked value to <paramref name="customerId"/>, moved from <paramref name="fromValue"/>.</summary>
    [Alias("claim")]
    Task<bool> ClaimAsync(string customerId, string fromValue);

    [Alias("is-claimed-by")]
    Task<bool> IsClaimedByAsync(string customerId, string fromValue);
}
