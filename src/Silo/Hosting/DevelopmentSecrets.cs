using System.Security.Cryptography;
using System.Text.Json;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Sessions.Grains.Configuration;

namespace Sessions.Silo.Hosting;

/// <summary>
/// Development only: fills in the secrets a developer did not configure (an ES256 signing key per brand, the OTP hash key)
/// with random ones, generated once and kept in the data directory so that keys issued before a restart still
/// verify. Production never gets here; its validation asks for real secrets.
/// </summary>
internal sealed class DevelopmentSecrets(IHostEnvironment environment, IOptions<StorageOptions> storage)
    : IPostConfigureOptions<SessionsOptions>
{
    private const string FileName = "development-secrets.json";

    public void PostConfigure(string? name, SessionsOptions options)
    {
        if (!environment.IsDevelopment())
        {
            return;
        }

        var directory = Path.GetFullPath(Path.Combine(environment.ContentRootPath, storage.Value.DataDirectory));
        var path = Path.Combine(directory, FileName);
        var secrets = File.Exists(path)
            ? JsonSerializer.Deserialize<Dictionary<string, string>>(File.ReadAllText(path)) ?? []
            : [];
        var changed = false;

        string Kept(string name, Func<string> create)
        {
            if (!secrets.TryGetValue(name, out var value))
            {
                value = create();
                secrets[name] = value;
                changed = true;
            }
            return value;
        }

        options.Otp.HashKey ??= Kept("otp-hash-key", () => Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)));
        foreach (var (brand, settings) in options.Brands)
        {
            if (settings.SigningKeys.Count == 0)
            {
                // ES256, so that a resource server tried against the Development service validates from the JWKS.
                settings.SigningKeys.Add(new SigningKeyOptions
                {
                    Id = $"{brand.ToLowerInvariant()}-dev-es256",
                    Algorithm = SigningAlgorithm.ES256,
                    PrivateKeyPem = Kept($"signing-key-es256:{brand.ToUpperInvariant()}", SigningKeyMaterial.NewP256Pem),
                });
                // Data directories from before ES256 hold an HS256 key: it still verifies what it signed, and signs nothing.
                if (secrets.TryGetValue($"signing-key:{brand.ToUpperInvariant()}", out var earlier))
                {
                    settings.SigningKeys.Add(new SigningKeyOptions { Id = $"{brand.ToLowerInvariant()}-dev", Secret = earlier });
                }
            }
        }

        if (changed)
        {
            Directory.CreateDirectory(directory);
            var temporary = path + ".tmp";
            File.WriteAllText(temporary, JsonSerializer.Serialize(secrets));
            File.Move(temporary, path, overwrite: true);
        }
    }
}
