namespace Sessions.Grains.Configuration;

/// <summary>The <c>Sessions</c> configuration section (API.md §8): issuer, OTP delivery and the brands.</summary>
public sealed class SessionsOptions
{
    public const string SectionName = "Sessions";

    public string Issuer { get; set; } = "SESSIONS";

    /// <summary>
    /// The URL clients reach the API on, behind a proxy (<c>https://auth.example.com</c>): a device proof's <c>htu</c> is
    /// compared with it and the request's path (API.md §4.7). None: the request's own scheme, host and path.
    /// </summary>
    public string? PublicBaseUrl { get; set; }

    public OtpDeliveryOptions Otp { get; set; } = new();

    public PasswordHashingOptions PasswordHashing { get; set; } = new();

    /// <summary>
    /// <c>Sessions:SecurityEvents:Webhook</c>: where each new line of a customer's security history is posted, signed,
    /// so that a brand can tell its customer ("your e-mail address was changed", "a new sign-in"). None: nothing is posted.
    /// </summary>
    public SecurityEventsOptions SecurityEvents { get; set; } = new();

    /// <summary>Brands by name. Names are matched case-insensitively; lookups go through <see cref="FindBrand"/>.</summary>
    public Dictionary<string, BrandOptions> Brands { get; set; } = new(StringComparer.OrdinalIgnoreCase);

    public BrandOptions? FindBrand(string brand) => Brands.GetValueOrDefault(brand);

    public BrandOptions GetBrand(string brand) =>
        FindBrand(brand) ?? throw new InvalidOperationException($"Brand '{brand}' is not configured.");
}

/// <summary>
/// The <c>Sessions:PasswordHashing</c> section: how many password hashes or verifications (PBKDF2, tens of milliseconds
/// of CPU each) a silo runs at once. Beyond it a call answers 429 instead of queueing, so a flood of password-bearing
/// requests cannot take every core from the regenerates (API.md §7).
/// </summary>
public sealed class PasswordHashingOptions
{
    /// <summary>Default: half the cores, at least one.</summary>
    public int? MaxConcurrency { get; set; }

    public int EffectiveMaxConcurrency => MaxConcurrency ?? Math.Max(1, Environment.ProcessorCount / 2);
}

public enum OtpSenderKind
{
    Log,
    DevOutbox,
    Webhook,
}

public sealed class SecurityEventsOptions
{
    public WebhookOptions Webhook { get; set; } = new();
}

public sealed class OtpDeliveryOptions
{
    public OtpSenderKind Sender { get; set; } = OtpSenderKind.DevOutbox;

    /// <summary>Base64 secret (32+ bytes) that keys the OTP hashes at rest. Generated in Development when absent.</summary>
    public string? HashKey { get; set; }

    public WebhookOptions Webhook { get; set; } = new();
}

public sealed class WebhookOptions
{
    public string? Url { get; set; }

    public string? Secret { get; set; }

    public int TimeoutSeconds { get; set; } = 10;
}
