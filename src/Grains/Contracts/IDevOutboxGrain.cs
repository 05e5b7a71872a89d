namespace Sessions.Grains.Contracts;

/// <summary>
/// Development only: the newest OTP sent to one identifier, so that any API process of a cluster can show it
/// (key from <see cref="Identity.GrainKeys.Identifier"/>). Held in memory; nothing is persisted.
/// </summary>
[Alias("sessions.dev-outbox")]
public interface IDevOutboxGrain : IGrainWithStringKey
{
    [Alias("record")]
    Task RecordAsync(OtpMessage message);

    [Alias("latest")]
    Task<OtpMessage?> GetLatestAsync();
}
