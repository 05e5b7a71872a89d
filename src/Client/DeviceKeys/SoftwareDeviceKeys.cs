using System.Security.Cryptography;

namespace Sessions.Client.DeviceKeys;

/// <summary>
/// The default device keys: P-256 keys made in software, kept in the session store beside the key they bind (the
/// handle is the PKCS#8 private key). They make a key copied off the wire or out of a log useless, but not one copied
/// with the store: apps that can should register an <see cref="IDeviceKeyProvider"/> over the platform's key store.
/// </summary>
public sealed class SoftwareDeviceKeys : IDeviceKeyProvider
{
    public ValueTask<IDeviceKey> CreateAsync(string sessionName, CancellationToken cancellationToken) =>
        ValueTask.FromResult<IDeviceKey>(new SoftwareDeviceKey(ECDsa.Create(ECCurve.NamedCurves.nistP256)));

    public ValueTask<IDeviceKey?> OpenAsync(string sessionName, string handle, CancellationToken cancellationToken)
    {
        var key = ECDsa.Create();
        try
        {
            key.ImportPkcs8PrivateKey(Convert.FromBase64String(handle), out _);
            if (key.KeySize != 256)
            {
                key.Dispose();
                return ValueTask.FromResult<IDeviceKey?>(null);
            }
            return ValueTask.FromResult<IDeviceKey?>(new SoftwareDeviceKey(key));
        }
        catch (Exception e) when (e is FormatException or CryptographicException)
        {
            key.Dispose();
            return ValueTask.FromResult<IDeviceKey?>(null);
        }
    }

    /// <summary>Nothing to do: the key lives in the stored session, which the keeper deletes.</summary>
    public ValueTask DeleteAsync(string sessionName, string handle, CancellationToken cancellationToken) => ValueTask.CompletedTask;

    private sealed class SoftwareDeviceKey : IDeviceKey
    {
        private readonly ECDsa _key;

        public SoftwareDeviceKey(ECDsa key)
        {
            _key = key;
            var point = key.ExportParameters(includePrivateParameters: false).Q;
            PublicX = point.X!;
            PublicY = point.Y!;
            Handle = Convert.ToBase64String(key.ExportPkcs8PrivateKey());
        }

        public string Handle { get; }

        public ReadOnlyMemory<byte> PublicX { get; }

        public ReadOnlyMemory<byte> PublicY { get; }

        public ValueTask<byte[]> SignAsync(ReadOnlyMemory<byte> data, CancellationToken cancellationToken) =>
            ValueTask.FromResult(_key.SignData(data.Span, HashAlgorithmName.SHA256, DSASignatureFormat.IeeeP1363FixedFieldConcatenation));

        public void Dispose() => _key.Dispose();
    }
}
