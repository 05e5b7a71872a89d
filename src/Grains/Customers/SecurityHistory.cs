using Microsoft.Extensions.Logging;
using Sessions.Grains.Contracts;
using Sessions.Grains.Identity;

namespace Sessions.Grains.Customers;

/// <summary>How the grains tell a customer's security history (<see cref="ICustomerHistoryGrain"/>) what happened.</summary>
internal static partial class SecurityHistory
{
    /// <summary>
    /// Records <paramref name="securityEvent"/>, after the change it describes is stored. A history that cannot be written
    /// is logged and never fails the call: the change itself is stored and answered, only its line is missing.
    /// </summary>
    public static async Task RecordAsync(IGrainFactory grains, string brand, string customerId, SecurityEvent securityEvent, ILogger logger)
    {
        try
        {
            await grains.GetGrain<ICustomerHistoryGrain>(GrainKeys.Customer(brand, customerId)).RecordAsync(securityEvent);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            LogNotRecorded(logger, e, securityEvent.Kind);
        }
    }

    [LoggerMessage(EventId = 1012, Level = LogLevel.Warning, Message = "Could not record a {Kind} event in the customer's security history")]
    private static partial void LogNotRecorded(ILogger logger, Exception exception, SecurityEventKind kind);
}
