using Sessions.Grains.Contracts;
using Sessions.Grains.Customers;
using Sessions.Grains.Identity;

namespace Sessions.Grains.DeviceSessions;

/// <summary>
/// What this device session tells the customer's security history (<see cref="ICustomerHistoryGrain"/>): logins,
/// revocations and why, reuse detected, copied keys, password and identifier changes. Recorded after the change it
/// describes is stored; a history that cannot be written is logged and never fails the call.
/// </summary>
internal sealed partial class DeviceSessionGrain
{
    private static class Factors
    {
        public const string Otp = "otp";
        public const string Password = "password";
    }

    private async Task RecordLoginAsync(Grant grant, string factor)
    {
        if (grant.Succeeded && State.AllFamilies().FirstOrDefault(f => f.Id == grant.FamilyId) is { } family)
        {
            await RecordAsync(family.CustomerId, Event(SecurityEventKind.Login, family) with { Factor = factor });
        }
    }

    /// <summary>Of the refusals of a key, only a copied key's is news: the rest are the ends already recorded.</summary>
    private Task RecordRefusalAsync(KeyFamily family, AuthError refused) =>
        refused == AuthError.DeviceKeyMismatch
            ? RecordAsync(family.CustomerId, Event(SecurityEventKind.DeviceKeyMismatch, family))
            : Task.CompletedTask;

    private Task RecordAsync(string customerId, SecurityEvent securityEvent) =>
        SecurityHistory.RecordAsync(GrainFactory, _identifier.Brand, customerId, securityEvent, logger);

    private SecurityEvent Event(SecurityEventKind kind, KeyFamily? family) => new()
    {
        Kind = kind,
        At = Now,
        Identifier = LogMasks.Identifier(_identifier),
        Device = LogMasks.Device(_deviceId),
        Flow = family is null ? null : FlowName(family.Channel, family.Flow),
        FamilyId = family?.Id,
    };

    private static string FlowName(Channel channel, SessionFlow flow) =>
        channel == Channel.Web ? "WEB" : flow == SessionFlow.Mfa ? "MFA" : "PRIMARY";
}
