using Sessions.Grains.Contracts;

namespace Sessions.Grains.DevOutbox;

[GrainType("dev-outbox")]
internal sealed class DevOutboxGrain : Grain, IDevOutboxGrain
{
    private OtpMessage? _latest;

    public Task RecordAsync(OtpMessage message)
    {
        _latest = message;
        return Task.CompletedTask;
    }

    public Task<OtpMessage?> GetLatestAsync() => Task.FromResult(_latest);
}
