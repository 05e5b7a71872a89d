using System.Globalization;

namespace Sessions.Tests.Infrastructure;

/// <summary>The settings of a brand whose ES256 signing keys a test chooses: listed in order, each staged or not.</summary>
public static class RotatingBrand
{
    public const string Name = "ROTATE";

    public static Dictionary<string, string?> Settings(params (string Id, string Pem, DateTimeOffset? SignFrom)[] keys)
    {
        var settings = new Dictionary<string, string?>
        {
            [$"Sessions:Brands:{Name}:OrgId"] = "100458",
            [$"Sessions:Brands:{Name}:OrgUser"] = "rotate.solution",
        };
        for (var i = 0; i < keys.Length; i++)
        {
            settings[$"Sessions:Brands:{Name}:SigningKeys:{i}:Id"] = keys[i].Id;
            settings[$"Sessions:Brands:{Name}:SigningKeys:{i}:Algorithm"] = "ES256";
            settings[$"Sessions:Brands:{Name}:SigningKeys:{i}:PrivateKeyPem"] = keys[i].Pem;
            settings[$"Sessions:Brands:{Name}:SigningKeys:{i}:SignFrom"] = keys[i].SignFrom?.ToString("O", CultureInfo.InvariantCulture);
        }
        return settings;
    }
}
