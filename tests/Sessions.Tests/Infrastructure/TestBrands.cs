using System.Security.Cryptography;

namespace Sessions.Tests.Infrastructure;

/// <summary>The brands every test host is configured with, each exercising one set of brand rules.</summary>
public static class TestBrands
{
    /// <summary>Contract defaults: MFA and passwords on, rotation on with a 30 s grace.</summary>
    public const string Demo = "DEMO";

    /// <summary>Rotation off: regenerate answers key:null and the key stays valid.</summary>
    public const string NoRotation = "NOROTATE";

    /// <summary>ForcedMfa, an MFA password regex, three OTP attempts, keys that expire after 60 minutes.</summary>
    public const string Strict = "STRICT";

    /// <summary>MFA, passwords and web login off; External ID login on; identifier changes without an OTP (the CRM vouches).</summary>
    public const string Plain = "PLAIN";

    /// <summary>
    /// Small identifier-wide limits (3 sends, lock after 4 failures), password resets without an OTP, and identifier
    /// changes that only a recent login starts.
    /// </summary>
    public const string Guarded = "GUARDED";

    /// <summary>Contract defaults, signing with an ES256 key whose public half its JWKS publishes.</summary>
    public const string Signed = "SIGNED";

    /// <summary>Device binding Optional (API.md §4.7), signing with an ES256 key: bound families, upgrades, byte-identical ES256 retries.</summary>
    public const string Bound = "BOUND";

    /// <summary>
    /// Device binding Required: every new family must be bound; a 2-minute proof window; a bound family's token
    /// authorises account calls only with a proof that names it (RequireProofForBoundTokens).
    /// </summary>
    public const string BoundRequired = "BOUNDREQ";

    /// <summary>The website whose pages may call for DEMO from a browser (its <c>Web:AllowedOrigins</c>).</summary>
    public const string DemoWebsite = "https://shop.demo.example";

    /// <summary>SIGNED's website, on a port of its own.</summary>
    public const string SignedWebsite = "https://shop.signed.example:8443";

    public const string TestMobile = "19998887776";
    public const string TestOtp = "042424";

    public static readonly string OtpHashKey = Secret();

    /// <summary>The introspection client password of DEMO, SIGNED and BOUND; the other brands have none.</summary>
    public static readonly string IntrospectionSecret = "introspection-" + Convert.ToHexString(RandomNumberGenerator.GetBytes(16));

    /// <summary>A signing key that no brand knows, for forged tokens.</summary>
    public static readonly string ForeignSecret = Secret();

    /// <summary>The ES256 key SIGNED signs with (PKCS#8 PEM).</summary>
    public static readonly string SignedKeyPem = Sessions.Grains.Configuration.SigningKeyMaterial.NewP256Pem();

    /// <summary>The ES256 key BOUND signs with.</summary>
    public static readonly string BoundKeyPem = Sessions.Grains.Configuration.SigningKeyMaterial.NewP256Pem();

    public static readonly Dictionary<string, string> SigningSecrets = new()
    {
        [Demo] = Secret(), [NoRotation] = Secret(), [Strict] = Secret(), [Plain] = Secret(), [Guarded] = Secret(), [BoundRequired] = Secret(),
    };

    public static Dictionary<string, string?> Configuration()
    {
        var settings = new Dictionary<string, string?>
        {
            ["Sessions:Otp:Sender"] = "DevOutbox",
            ["Sessions:Otp:HashKey"] = OtpHashKey,
            [$"Sessions:Brands:{NoRotation}:RotateKeyOnRegenerate"] = "false",
            [$"Sessions:Brands:{Strict}:ForcedMfa"] = "true",
            [$"Sessions:Brands:{Strict}:MfaPasswordRegex"] = "^(?=.*[0-9])(?=.*[A-Z]).+$",
            [$"Sessions:Brands:{Strict}:Otp:MaxAttempts"] = "3",
            [$"Sessions:Brands:{Strict}:Password:MaxAttempts"] = "2",
            [$"Sessions:Brands:{Strict}:KeyExpiryMinutes"] = "60",
            [$"Sessions:Brands:{Strict}:MfaKeyExpiryMinutes"] = "60",
            [$"Sessions:Brands:{Strict}:RequirePasswordOnSignUp"] = "true",
            [$"Sessions:Brands:{Plain}:MfaEnabled"] = "false",
            [$"Sessions:Brands:{Plain}:PasswordEnabled"] = "false",
            [$"Sessions:Brands:{Plain}:ExternalIdLoginEnabled"] = "true",
            [$"Sessions:Brands:{Plain}:Web:Enabled"] = "false",
            [$"Sessions:Brands:{Plain}:IdentifierChange:VerifyNewValue"] = "false",
            [$"Sessions:Brands:{Guarded}:Otp:MaxSends"] = "3",
            [$"Sessions:Brands:{Guarded}:Otp:MaxAttempts"] = "100",
            [$"Sessions:Brands:{Guarded}:Password:MaxAttempts"] = "100",
            [$"Sessions:Brands:{Guarded}:Lockout:MaxFailures"] = "4",
            [$"Sessions:Brands:{Guarded}:SkipOtpOnReset"] = "true",
            [$"Sessions:Brands:{Guarded}:IdentifierChange:RequireRecentLogin"] = "true",
            // The Development DEMO binds devices (Optional) for the README's walk-through; the tests' DEMO is the contract's default.
            [$"Sessions:Brands:{Demo}:DeviceBinding"] = "Off",
            [$"Sessions:Brands:{Bound}:DeviceBinding"] = "Optional",
            [$"Sessions:Brands:{BoundRequired}:DeviceBinding"] = "Required",
            [$"Sessions:Brands:{BoundRequired}:DeviceProofWindowSeconds"] = "120",
            [$"Sessions:Brands:{BoundRequired}:RequireProofForBoundTokens"] = "true",
            // Written as an operator might; browsers send the origin in lower case without the '/'.
            [$"Sessions:Brands:{Demo}:Web:AllowedOrigins:0"] = "HTTPS://Shop.Demo.Example/",
            [$"Sessions:Brands:{Signed}:Web:AllowedOrigins:0"] = SignedWebsite,
            [$"Sessions:Brands:{Demo}:TestIdentifiers:0:IdentifierType"] = "MOBILE",
            [$"Sessions:Brands:{Demo}:TestIdentifiers:0:IdentifierValue"] = TestMobile,
            [$"Sessions:Brands:{Demo}:TestIdentifiers:0:Otp"] = TestOtp,
        };
        foreach (var (brand, secret) in SigningSecrets)
        {
            settings[$"Sessions:Brands:{brand}:OrgId"] = "100458";
            settings[$"Sessions:Brands:{brand}:OrgUser"] = $"{brand.ToLowerInvariant()}.solution";
            settings[$"Sessions:Brands:{brand}:SigningKeys:0:Id"] = $"{brand.ToLowerInvariant()}-1";
            settings[$"Sessions:Brands:{brand}:SigningKeys:0:Secret"] = secret;
        }
        foreach (var (brand, pem) in new[] { (Signed, SignedKeyPem), (Bound, BoundKeyPem) })
        {
            settings[$"Sessions:Brands:{brand}:OrgId"] = "100458";
            settings[$"Sessions:Brands:{brand}:OrgUser"] = $"{brand.ToLowerInvariant()}.solution";
            settings[$"Sessions:Brands:{brand}:SigningKeys:0:Id"] = $"{brand.ToLowerInvariant()}-es256-1";
            settings[$"Sessions:Brands:{brand}:SigningKeys:0:Algorithm"] = "ES256";
            settings[$"Sessions:Brands:{brand}:SigningKeys:0:PrivateKeyPem"] = pem;
            settings[$"Sessions:Brands:{brand}:IntrospectionSecret"] = IntrospectionSecret;
        }
        settings[$"Sessions:Brands:{Demo}:IntrospectionSecret"] = IntrospectionSecret;
        return settings;
    }

    private static string Secret() => Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));
}
