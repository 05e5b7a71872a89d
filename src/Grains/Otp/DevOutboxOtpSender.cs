using Sessions.Grains.Contracts;
using Sessions.Grains.Identity;

namespace Sessions.Grains.Otp;

/// <summary>Development only: keeps the newest code per identifier in a grain, readable at <c>GET /dev/otp</c>.</summary>
public sealed class DevOutboxOtpSender(IGrainFactory grains) : IOtpSender
{
    public Task SendAsync(OtpMessage message, CancellationToken cancellationToken) =>
        grains.GetGrain<IDevOutboxGrain>(GrainKeys.Identifier(message.Identifier)).RecordAsync(message);
}
