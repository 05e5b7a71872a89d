using Sessions.Grains.Contracts;

namespace Sessions.Grains.Otp;

/// <summary>Delivers an OTP. Throwing <see cref="OtpDeliveryException"/> means "not delivered": nothing is counted.</summary>
public interface IOtpSender
{
    Task SendAsync(OtpMessage message, CancellationToken cancellationToken);
}

public sealed class OtpDeliveryException(string message, Exception? inner = null) : Exception(message, inner);
