namespace Sessions.Grains.Contracts;

/// <summary>
/// A customer's security history (key: <see cref="Identity.GrainKeys.Customer"/>): the newest events that created or
/// ended their sessions, bounded. Its own grain, so that recording never waits on the customer's credentials.
/// </summary>
[Alias("sessions.customer-history")]
public interface ICustomerHistoryGrain : IGrainWithStringKey
{
    [Alias("record")]
    Task RecordAsync(SecurityEvent securityEvent);

    /// <summary>
    /// The customer was erased: every event, and every delivery still waiting, is dropped, and <paramref name="erased"/> is
    /// recorded (and sent to the webhook) in their place.
    /// </summary>
    [Alias("erase")]
    Task EraseAsync(SecurityEvent erased);

    /// <summary>
    /// Hands the events still waiting for the security events webhook back to it, unless a delivery of theirs is under way
    /// here; answers how many wait. The store sweep asks it of every history marked as holding events that wait, so that
    /// one whose first try a crash cut short (and which kept no reminder) does not wait for the customer's next use.
    /// </summary>
    [Alias("resume-deliveries")]
    Task<int> ResumeDeliveriesAsync();

    /// <summary>Newest first.</summary>
    [Alias("list"), ReadOnly]
    Task<IReadOnlyList<SecurityEvent>> ListAsync();
}
