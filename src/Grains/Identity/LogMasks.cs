namespace Sessions.Grains.Identity;

/// <summary>
/// How identifiers and device ids appear in logs: enough to correlate events, not enough to contact the customer.
/// The audit trail and every other log line use these.
/// </summary>
public static class LogMasks
{
    /// <summary><c>********754</c> for a phone number, <c>a***@example.com</c> for an e-mail address.</summary>
    public static string Identifier(Identifier identifier) => Value(identifier.Type, identifier.Value);

    public static string Value(IdentifierType type, string value)
    {
        if (type == IdentifierType.EMAIL && value.IndexOf('@', StringComparison.Ordinal) is var at and > 0)
        {
            return $"{value[0]}***{value[at..]}";
        }
        var visible = Math.Min(3, value.Length / 3);
        return new string('*', value.Length - visible) + value[^visible..];
    }

    /// <summary>
    /// A device id: its first four characters, enough to tell a customer's devices apart in one incident, not to present
    /// one (a device id is in every token's <c>dev</c>, and apps may derive it from hardware). None: the identifier's web
    /// device session.
    /// </summary>
    public static string Device(string deviceId) => deviceId.Length == 0 ? "(web)" : deviceId.Length <= 4 ? "***" : deviceId[..4] + "***";
}
