namespace Sessions.Grains.Configuration;

/// <summary>The <c>Sessions</c> configuration section (API.md §8): issuer, OTP delivery and the brands.</summary>
public sealed class SessionsOptions
{
    public const string SectionName = "Sessions";

    public string Issuer { get; set; } = "SESSIONS";

    public OtpDeliveryOptions Otp { get; set; } = new();

    /// <summary>Brands by name. Names are matched case-insensitively; lookups go through <see cref="FindBrand"/>.</summary>
    public Dictionary<string, BrandOptions> Brands { get; set; } = new(StringComparer.OrdinalIgnoreCase);

    public BrandOptions? FindBrand(string brand) => Brands.GetValueOrDefault(brand);

    public BrandOptions GetBrand(string brand) =>
        FindBrand(brand) ?? throw new InvalidOperationException($"Brand '{brand}' is not configured.");
}

public enum OtpSenderKind
{
    Log,
    DevOutbox,
    Webhook,
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
