using System.Net;
using Sessions.Api.Operations;
using Sessions.Api.Requests;
using Sessions.Grains;
using Sessions.Grains.Contracts;
using Sessions.Grains.Identity;

namespace Sessions.Api.Security;

/// <summary>
/// The audit trail: one structured event with a stable EventId per security-relevant outcome, with brand, masked
/// identifier, masked device id and client address. Never an OTP, password, token or key.
/// </summary>
public sealed partial class AuthAudit(ILogger<AuthAudit> logger, SessionsMetrics metrics)
{
    public void Authenticated(DeviceRequest device, SessionFlow flow, string factor, AuthError error)
    {
        metrics.Login(device.Identifier.Brand, flow, factor, error);
        if (error == AuthError.None)
        {
            LoginSucceeded(device.Identifier.Brand, device.Identifier.Type, Mask(device.Identifier), Device(device), Address(device.ClientAddress), flow, factor);
        }
        else
        {
            LoginFailed(device.Identifier.Brand, device.Identifier.Type, Mask(device.Identifier), Device(device), Address(device.ClientAddress), flow, factor, (int)error);
            Locked(device, error);
        }
    }

    public void OtpRequested(DeviceRequest device, SessionFlow flow, Outcome outcome)
    {
        if (outcome.Succeeded)
        {
            metrics.OtpSent(device.Identifier.Brand, flow);
            OtpSent(device.Identifier.Brand, device.Identifier.Type, Mask(device.Identifier), Device(device), Address(device.ClientAddress), flow);
        }
        else
        {
            metrics.OtpFailed(device.Identifier.Brand, flow, outcome.Error);
            OtpRefused(device.Identifier.Brand, device.Identifier.Type, Mask(device.Identifier), Device(device), Address(device.ClientAddress), flow, (int)outcome.Error);
            Locked(device, outcome.Error);
        }
    }

    public void Regenerated(DeviceRequest device, SessionFlow flow, Grant grant)
    {
        metrics.Regenerated(device.Identifier.Brand, flow, grant.Error, grant.Key is not null);
        if (grant.Succeeded)
        {
            // The hot path: do not mask and format for an event that is off (Debug) in a normal deployment.
            if (logger.IsEnabled(LogLevel.Debug))
            {
                KeyExchanged(device.Identifier.Brand, device.Identifier.Type, Mask(device.Identifier), Device(device), Address(device.ClientAddress), flow, grant.FamilyId, grant.Key is not null);
            }
        }
        else if (grant.Error == AuthError.KeyReused)
        {
            KeyReuseDetected(device.Identifier.Brand, device.Identifier.Type, Mask(device.Identifier), Device(device), Address(device.ClientAddress), flow);
        }
        else if (grant.Error == AuthError.DeviceKeyMismatch)
        {
            // A valid key with a proof by another device key: the key was copied off its device (API.md §4.7).
            DeviceKeyMismatch(device.Identifier.Brand, device.Identifier.Type, Mask(device.Identifier), Device(device), Address(device.ClientAddress), flow);
        }
        else
        {
            KeyRefused(device.Identifier.Brand, device.Identifier.Type, Mask(device.Identifier), Device(device), Address(device.ClientAddress), flow, (int)grant.Error);
        }
    }

    /// <summary>
    /// A bound family's USER token presented on an account call with a valid proof by another device key (1561): the
    /// token was copied off its device. Logged and counted as a copied key is; the grain records it in the history.
    /// </summary>
    public void TokenDeviceKeyMismatch(DeviceRequest device, string path)
    {
        metrics.TokenDeviceKeyMismatch(device.Identifier.Brand);
        TokenPresentedWithAnotherDevicesProof(device.Identifier.Brand, device.Identifier.Type, Mask(device.Identifier), Device(device), Address(device.ClientAddress), path);
    }

    public void FamilyExpired(DeviceRequest device, string familyId, Outcome outcome)
    {
        if (outcome.Succeeded)
        {
            FamilyRevoked(device.Identifier.Brand, device.Identifier.Type, Mask(device.Identifier), Device(device), Address(device.ClientAddress), familyId, RevocationReasons.Logout);
        }
    }

    public void PasswordChanged(DeviceRequest device, SessionFlow flow, string action, Outcome outcome)
    {
        if (outcome.Succeeded)
        {
            PasswordUpdated(device.Identifier.Brand, device.Identifier.Type, Mask(device.Identifier), Device(device), Address(device.ClientAddress), flow, action);
        }
        else
        {
            LoginFailed(device.Identifier.Brand, device.Identifier.Type, Mask(device.Identifier), Device(device), Address(device.ClientAddress), flow, $"password {action}", (int)outcome.Error);
            Locked(device, outcome.Error);
        }
    }

    public void IdentifierChanged(DeviceRequest device, Identifier newIdentifier, AuthError error, bool otpSent = false)
    {
        if (otpSent)
        {
            IdentifierChangeRequested(device.Identifier.Brand, device.Identifier.Type, Mask(device.Identifier), Mask(newIdentifier), Device(device), Address(device.ClientAddress));
        }
        else if (error == AuthError.None)
        {
            IdentifierMoved(device.Identifier.Brand, device.Identifier.Type, Mask(device.Identifier), Mask(newIdentifier), Device(device), Address(device.ClientAddress));
        }
        else
        {
            IdentifierChangeRefused(device.Identifier.Brand, device.Identifier.Type, Mask(device.Identifier), Mask(newIdentifier), Device(device), Address(device.ClientAddress), (int)error);
        }
    }

    /// <summary>
    /// The customer signing sessions out from their list of signed-in devices: <paramref name="scope"/> is the family
    /// they named, or <c>others</c>.
    /// </summary>
    public void SignedOut(DeviceRequest device, string scope, AuthError error, int revoked)
    {
        if (error == AuthError.None)
        {
            SessionsSignedOut(device.Identifier.Brand, device.Identifier.Type, Mask(device.Identifier), Device(device), Address(device.ClientAddress), scope, revoked);
        }
        else
        {
            SignOutRefused(device.Identifier.Brand, device.Identifier.Type, Mask(device.Identifier), Device(device), Address(device.ClientAddress), scope, (int)error);
        }
    }

    /// <summary>An admin API call, naming the key's id (never the key), what it acted on and how it ended.</summary>
    public void AdminAction(string keyId, string action, string brand, string target, int status, IPAddress? clientAddress) =>
        AdminActed(keyId, action, brand, target, status, Address(clientAddress));

    /// <summary>Enough of an identifier to correlate events, not enough to contact the customer.</summary>
    public static string Mask(Identifier identifier) => LogMasks.Identifier(identifier);

    private static string Address(IPAddress? clientAddress) => clientAddress?.ToString() ?? "unknown";

    private static string Device(DeviceRequest device) => LogMasks.Device(device.DeviceId);

    private void Locked(DeviceRequest device, AuthError error)
    {
        if (error == AuthError.IdentifierLocked)
        {
            metrics.Locked(device.Identifier.Brand);
            IdentifierLocked(device.Identifier.Brand, device.Identifier.Type, Mask(device.Identifier), Device(device), Address(device.ClientAddress));
        }
    }

    [LoggerMessage(EventId = 3001, EventName = "LoginSucceeded", Level = LogLevel.Information,
        Message = "Login succeeded: {Brand} {IdentifierType} {Identifier} device {DeviceId} from {ClientAddress}, {Flow} by {Factor}")]
    private partial void LoginSucceeded(string brand, IdentifierType identifierType, string identifier, string deviceId, string clientAddress, SessionFlow flow, string factor);

    [LoggerMessage(EventId = 3002, EventName = "LoginFailed", Level = LogLevel.Warning,
        Message = "Login failed: {Brand} {IdentifierType} {Identifier} device {DeviceId} from {ClientAddress}, {Flow} by {Factor}: {Code}")]
    private partial void LoginFailed(string brand, IdentifierType identifierType, string identifier, string deviceId, string clientAddress, SessionFlow flow, string factor, int code);

    [LoggerMessage(EventId = 3003, EventName = "OtpSent", Level = LogLevel.Information,
        Message = "OTP sent: {Brand} {IdentifierType} {Identifier} device {DeviceId} from {ClientAddress}, {Flow}")]
    private partial void OtpSent(string brand, IdentifierType identifierType, string identifier, string deviceId, string clientAddress, SessionFlow flow);

    [LoggerMessage(EventId = 3004, EventName = "OtpRefused", Level = LogLevel.Warning,
        Message = "OTP not sent: {Brand} {IdentifierType} {Identifier} device {DeviceId} from {ClientAddress}, {Flow}: {Code}")]
    private partial void OtpRefused(string brand, IdentifierType identifierType, string identifier, string deviceId, string clientAddress, SessionFlow flow, int code);

    [LoggerMessage(EventId = 3005, EventName = "IdentifierLocked", Level = LogLevel.Warning,
        Message = "Refused, identifier locked: {Brand} {IdentifierType} {Identifier} device {DeviceId} from {ClientAddress}")]
    private partial void IdentifierLocked(string brand, IdentifierType identifierType, string identifier, string deviceId, string clientAddress);

    [LoggerMessage(EventId = 3006, EventName = "KeyExchanged", Level = LogLevel.Debug,
        Message = "Token regenerated: {Brand} {IdentifierType} {Identifier} device {DeviceId} from {ClientAddress}, {Flow} family {FamilyId}, rotated {Rotated}")]
    private partial void KeyExchanged(string brand, IdentifierType identifierType, string identifier, string deviceId, string clientAddress, SessionFlow flow, string familyId, bool rotated);

    [LoggerMessage(EventId = 3007, EventName = "KeyReuseDetected", Level = LogLevel.Warning,
        Message = "Key reuse detected, family revoked: {Brand} {IdentifierType} {Identifier} device {DeviceId} from {ClientAddress}, {Flow}")]
    private partial void KeyReuseDetected(string brand, IdentifierType identifierType, string identifier, string deviceId, string clientAddress, SessionFlow flow);

    [LoggerMessage(EventId = 3014, EventName = "DeviceKeyMismatch", Level = LogLevel.Warning,
        Message = "Key presented with another device's proof, refused and the family kept: {Brand} {IdentifierType} {Identifier} device {DeviceId} from {ClientAddress}, {Flow}")]
    private partial void DeviceKeyMismatch(string brand, IdentifierType identifierType, string identifier, string deviceId, string clientAddress, SessionFlow flow);

    [LoggerMessage(EventId = 3021, EventName = "TokenDeviceKeyMismatch", Level = LogLevel.Warning,
        Message = "Token of a bound family presented with another device's proof on {Path}, refused: {Brand} {IdentifierType} {Identifier} device {DeviceId} from {ClientAddress}")]
    private partial void TokenPresentedWithAnotherDevicesProof(string brand, IdentifierType identifierType, string identifier, string deviceId, string clientAddress, string path);

    [LoggerMessage(EventId = 3008, EventName = "KeyRefused", Level = LogLevel.Information,
        Message = "Key refused: {Brand} {IdentifierType} {Identifier} device {DeviceId} from {ClientAddress}, {Flow}: {Code}")]
    private partial void KeyRefused(string brand, IdentifierType identifierType, string identifier, string deviceId, string clientAddress, SessionFlow flow, int code);

    [LoggerMessage(EventId = 3009, EventName = "FamilyRevoked", Level = LogLevel.Information,
        Message = "Key family revoked: {Brand} {IdentifierType} {Identifier} device {DeviceId} from {ClientAddress}, family {FamilyId}: {Reason}")]
    private partial void FamilyRevoked(string brand, IdentifierType identifierType, string identifier, string deviceId, string clientAddress, string familyId, string reason);

    [LoggerMessage(EventId = 3010, EventName = "PasswordChanged", Level = LogLevel.Information,
        Message = "Password {Action}: {Brand} {IdentifierType} {Identifier} device {DeviceId} from {ClientAddress}, {Flow}")]
    private partial void PasswordUpdated(string brand, IdentifierType identifierType, string identifier, string deviceId, string clientAddress, SessionFlow flow, string action);

    [LoggerMessage(EventId = 3015, EventName = "SessionsSignedOut", Level = LogLevel.Information,
        Message = "Customer signed sessions out: {Brand} {IdentifierType} {Identifier} device {DeviceId} from {ClientAddress}, {Scope}: {Revoked} families revoked")]
    private partial void SessionsSignedOut(string brand, IdentifierType identifierType, string identifier, string deviceId, string clientAddress, string scope, int revoked);

    [LoggerMessage(EventId = 3016, EventName = "SignOutRefused", Level = LogLevel.Warning,
        Message = "Customer sign-out refused: {Brand} {IdentifierType} {Identifier} device {DeviceId} from {ClientAddress}, {Scope}: {Code}")]
    private partial void SignOutRefused(string brand, IdentifierType identifierType, string identifier, string deviceId, string clientAddress, string scope, int code);

    [LoggerMessage(EventId = 3020, EventName = "AdminAction", Level = LogLevel.Information,
        Message = "Admin {Action} by key {KeyId} from {ClientAddress}: {Brand} {Target}, status {Status}")]
    private partial void AdminActed(string keyId, string action, string brand, string target, int status, string clientAddress);

    [LoggerMessage(EventId = 3011, EventName = "IdentifierChanged", Level = LogLevel.Information,
        Message = "Identifier changed: {Brand} {IdentifierType} {Identifier} to {NewIdentifier}, device {DeviceId} from {ClientAddress}")]
    private partial void IdentifierMoved(string brand, IdentifierType identifierType, string identifier, string newIdentifier, string deviceId, string clientAddress);

    [LoggerMessage(EventId = 3013, EventName = "IdentifierChangeRequested", Level = LogLevel.Information,
        Message = "Identifier change requested, OTP sent to the new value: {Brand} {IdentifierType} {Identifier} to {NewIdentifier}, device {DeviceId} from {ClientAddress}")]
    private partial void IdentifierChangeRequested(string brand, IdentifierType identifierType, string identifier, string newIdentifier, string deviceId, string clientAddress);

    [LoggerMessage(EventId = 3012, EventName = "IdentifierChangeRefused", Level = LogLevel.Warning,
        Message = "Identifier change refused: {Brand} {IdentifierType} {Identifier} to {NewIdentifier}, device {DeviceId} from {ClientAddress}: {Code}")]
    private partial void IdentifierChangeRefused(string brand, IdentifierType identifierType, string identifier, string newIdentifier, string deviceId, string clientAddress, int code);
}
