namespace Sessions.Client.DeviceKeys;

/// <summary>
/// A P-256 private key that stays on the device (API.md §4.7): the Secure Enclave, Android Keystore, a TPM, or the
/// default <see cref="SoftwareDeviceKeys"/>. The keeper signs a proof with it for every call that binds or regenerates,
/// and for every resource server call of a bound session.
/// </summary>
public interface IDeviceKey : IDisposable
{
    /// <summary>What the session store keeps to find this key again (an alias, a keychain tag; never a secret in clear).</summary>
    string Handle { get; }

    /// <summary>The public key's x coordinate, 32 bytes big-endian.</summary>
    ReadOnlyMemory<byte> PublicX { get; }

    /// <summary>The public key's y coordinate, 32 bytes big-endian.</summary>
    ReadOnlyMemory<byte> PublicY { get; }

    /// <summary>An ECDSA P-256 SHA-256 signature of <paramref name="data"/>, as r‖s (64 bytes, IEEE P1363, as JWS has it).</summary>
    ValueTask<byte[]> SignAsync(ReadOnlyMemory<byte> data, CancellationToken cancellationToken);
}

/// <summary>Makes and finds device keys; register your own to keep them in the platform's key store.</summary>
public interface IDeviceKeyProvider
{
    /// <summary>A new key for the session named <paramref name="sessionName"/>.</summary>
    ValueTask<IDeviceKey> CreateAsync(string sessionName, CancellationToken cancellationToken);

    /// <summary>The key a session was bound with, or null when it is gone (the app was restored on another device).</summary>
    ValueTask<IDeviceKey?> OpenAsync(string sessionName, string handle, CancellationToken cancellationToken);

    /// <summary>Forgets the key of a session that ended.</summary>
    ValueTask DeleteAsync(string sessionName, string handle, CancellationToken cancellationToken);
}
