namespace Sessions.Grains.Identity;

/// <summary>
/// Builds the string keys of the grains. Every free-text part is percent-encoded, so '/' never appears inside a
/// part and the encoding is injective: ("a/b", "c") and ("a", "b/c") give different keys.
/// </summary>
public static class GrainKeys
{
    public static string DeviceSession(Identifier identifier, string deviceId) =>
        $"{Identifier(identifier)}/{Uri.EscapeDataString(deviceId)}";

    public static string Identifier(Identifier identifier) =>
        $"{identifier.Brand}/{identifier.Type}/{Uri.EscapeDataString(identifier.Value)}";

    public static string Customer(string brand, string customerId) => $"{brand}/{Uri.EscapeDataString(customerId)}";

    public static (Identifier Identifier, string DeviceId) ParseDeviceSession(string key)
    {
        var parts = key.Split('/');
        if (parts.Length != 4)
        {
            throw new ArgumentException($"'{key}' is not a device-session key.", nameof(key));
        }

        return (ParseIdentifierParts(parts), Uri.UnescapeDataString(parts[3]));
    }

    public static Identifier ParseIdentifier(string key)
    {
        var parts = key.Split('/');
        if (parts.Length != 3)
        {
            throw new ArgumentException($"'{key}' is not an identifier key.", nameof(key));
        }

        return ParseIdentifierParts(parts);
    }

    /// <summary>The key of the identifier a device session (from <see cref="DeviceSession"/>) is for.</summary>
    public static string IdentifierOfDeviceSession(string key) => key[..key.LastIndexOf('/')];

    public static string BrandOfCustomer(string key) => key[..key.IndexOf('/')];

    public static string CustomerIdOf(string key) => Uri.UnescapeDataString(key[(key.IndexOf('/') + 1)..]);

    private static Identifier ParseIdentifierParts(string[] parts) =>
        new(parts[0], Enum.Parse<IdentifierType>(parts[1]), Uri.UnescapeDataString(parts[2]));
}
