using Microsoft.Extensions.Logging;
using Sessions.Grains.Contracts;

namespace Sessions.Grains.Otp;

/// <summary>Development only (the start-up guard refuses it in Production): writes the code to the log.</summary>
public sealed partial class LogOtpSender(ILogger<LogOtpSender> logger) : IOtpSender
{
    public Task SendAsync(OtpMessage message, CancellationToken cancellationToken)
    {
        LogCode(message.Identifier.Brand, message.Identifier.Type.ToString(), message.Identifier.Value, message.Purpose, message.Code);
        return Task.CompletedTask;
    }

    [LoggerMessage(EventId = 9000, Level = LogLevel.Warning,
        Message = "DEVELOPMENT OTP for {Brand} {IdentifierType} {IdentifierValue} ({Purpose}): {Code}")]
    private partial void LogCode(string brand, string identifierType, string identifierValue, OtpPurpose purpose, string code);
}
