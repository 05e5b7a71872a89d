using System.Security.Cryptography;

namespace Sessions.Samples.DeviceProof;

/// <summary>
/// Device proofs from the command line, for trying device-bound keys with curl (README "Device-bound keys"). A phone keeps
/// its key in the Secure Enclave or Keystore; this keeps it in a PEM file.
/// <code>
/// dotnet run --project samples/DeviceProof -- thumbprint device.pem             # makes the key if the file is new
/// dotnet run --project samples/DeviceProof -- proof device.pem URL [NONCE]      # a proof for POST URL
/// dotnet run --project samples/DeviceProof -- proof device.pem URL NONCE TOKEN  # one that names the USER token (ath)
/// </code>
/// </summary>
public static class Program
{
    public static int Main(string[] args)
    {
        if (args is not (["thumbprint", _] or ["proof", _, _] or ["proof", _, _, _] or ["proof", _, _, _, _]))
        {
            Console.Error.WriteLine("usage: thumbprint KEYFILE | proof KEYFILE URL [NONCE [TOKEN]]");
            return 2;
        }
        using var key = LoadOrCreate(args[1]);
        var maker = new DeviceProofMaker(key);
        Console.WriteLine(args[0] == "thumbprint"
            ? maker.Thumbprint
            : maker.Create("POST", args[2], DateTimeOffset.UtcNow, nonce: Optional(args, 3), accessToken: Optional(args, 4)));
        return 0;
    }

    /// <summary>An optional argument; an empty one (<c>""</c>, as a shell variable not yet set gives) is none.</summary>
    private static string? Optional(string[] args, int index) => args.Length > index && args[index].Length > 0 ? args[index] : null;

    private static ECDsa LoadOrCreate(string path)
    {
        var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        if (File.Exists(path))
        {
            key.ImportFromPem(File.ReadAllText(path));
        }
        else
        {
            File.WriteAllText(path, key.ExportPkcs8PrivateKeyPem());
            if (!OperatingSystem.IsWindows())
            {
                File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
            }
        }
        return key;
    }
}
