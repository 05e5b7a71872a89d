using System.Text.RegularExpressions;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Sessions.Grains;
using Sessions.Grains.Configuration;
using Sessions.Grains.Identity;

namespace Sessions.Silo.Hosting;

/// <summary>Checks the whole <c>Sessions</c> section at start-up; every message names the setting to fix.</summary>
internal sealed partial class SessionsOptionsValidator(
    IHostEnvironment environment,
    IOptions<SessionsClusterOptions> cluster,
    IConfiguration configuration,
    [FromKeyedServices(ServiceKeys.Clock)] TimeProvider clock)
    : IValidateOptions<SessionsOptions>
{
    public ValidateOptionsResult Validate(string? name, SessionsOptions options)
    {
        var errors = new List<string>();
        if (string.IsNullOrWhiteSpace(options.Issuer))
        {
            errors.Add("Sessions:Issuer must not be empty.");
        }
        if (options.PublicBaseUrl is { } publicBaseUrl
            && (!Uri.TryCreate(publicBaseUrl, UriKind.Absolute, out var publicUrl) || publicUrl.Scheme is not ("http" or "https")
                || publicUrl.Query.Length > 0 || publicUrl.Fragment.Length > 0))
        {
            errors.Add("Sessions:PublicBaseUrl must be an absolute http(s) URL without query or fragment (https://auth.example.com).");
        }
        ValidateDelivery(options.Otp, errors);
        if (!string.IsNullOrEmpty(options.SecurityEvents.Webhook.Url))
        {
            ValidateWebhook(options.SecurityEvents.Webhook, "Sessions:SecurityEvents:Webhook", " when Sessions:SecurityEvents:Webhook:Url is set",
                "customers' ids and security events travel in its body", errors);
        }
        if (options.PasswordHashing.MaxConcurrency is < 1 or > 1024)
        {
            errors.Add("Sessions:PasswordHashing:MaxConcurrency must be between 1 and 1024.");
        }
        if (options.Brands.Count == 0)
        {
            errors.Add("Sessions:Brands must configure at least one brand.");
        }
        foreach (var (brand, settings) in options.Brands)
        {
            ValidateBrand($"Sessions:Brands:{brand}", brand, settings, errors);
        }
        foreach (var section in configuration.GetSection($"{SessionsOptions.SectionName}:Brands").GetChildren())
        {
            // The binder leaves out a brand or a list entry it cannot read (a word where a number, an enum or a date
            // belongs) without a word: that brand, or that signing key, would silently not exist.
            if (!options.Brands.ContainsKey(section.Key) && section.GetChildren().Any())
            {
                errors.Add(WhyUnreadable<BrandOptions>(section) ?? $"{section.Path} could not be read.");
                continue;
            }
            foreach (var key in section.GetSection(nameof(BrandOptions.SigningKeys)).GetChildren())
            {
                if (WhyUnreadable<SigningKeyOptions>(key) is { } why)
                {
                    errors.Add(why);
                }
            }
        }

        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }

    private void ValidateDelivery(OtpDeliveryOptions otp, List<string> errors)
    {
        if (!environment.IsDevelopment() && otp.Sender is OtpSenderKind.Log or OtpSenderKind.DevOutbox)
        {
            errors.Add($"Sessions:Otp:Sender '{otp.Sender}' is for development only; use 'Webhook' outside Development.");
        }
        if (otp.Sender == OtpSenderKind.Webhook)
        {
            ValidateWebhook(otp.Webhook, "Sessions:Otp:Webhook", " when Sessions:Otp:Sender is 'Webhook'", "OTPs travel in its body", errors);
        }
        if (cluster.Value.Mode != ClusterMode.Client && !IsSecret(otp.HashKey))
        {
            errors.Add("Sessions:Otp:HashKey must be a base64 secret of at least 32 bytes.");
        }
    }

    /// <summary>A webhook's URL (https outside Development, as its body says <paramref name="carries"/>), secret and timeout.</summary>
    private void ValidateWebhook(WebhookOptions webhook, string path, string when, string carries, List<string> errors)
    {
        if (!Uri.TryCreate(webhook.Url, UriKind.Absolute, out var url) || url.Scheme is not ("http" or "https"))
        {
            errors.Add($"{path}:Url must be an absolute http(s) URL{when}.");
        }
        else if (url.Scheme == "http" && !environment.IsDevelopment())
        {
            errors.Add($"{path}:Url must be https:// outside Development: {carries}.");
        }
        if (string.IsNullOrEmpty(webhook.Secret) || webhook.Secret.Length < 32)
        {
            errors.Add($"{path}:Secret must be at least 32 characters{when}.");
        }
        if (webhook.TimeoutSeconds is < 1 or > 60)
        {
            errors.Add($"{path}:TimeoutSeconds must be between 1 and 60.");
        }
    }

    /// <summary>The binder's own message for a section it cannot read as <typeparamref name="T"/> (it names the setting and the type it needs), or null.</summary>
    private static string? WhyUnreadable<T>(IConfigurationSection section)
    {
        try
        {
            section.Get<T>();
            return null;
        }
        catch (InvalidOperationException e)
        {
            return e.Message + (e.InnerException is { } inner ? $" {inner.Message}" : "");
        }
    }

    private void ValidateBrand(string path, string brand, BrandOptions b, List<string> errors)
    {
        if (!BrandName().IsMatch(brand))
        {
            errors.Add($"{path}: a brand name is 1-64 letters, digits, '_' or '-'.");
        }
        if (string.IsNullOrWhiteSpace(b.OrgId) || string.IsNullOrWhiteSpace(b.OrgUser))
        {
            errors.Add($"{path}:OrgId and {path}:OrgUser must be set (tokens carry them in 'ogc').");
        }

        if (b.SigningKeys.Count == 0)
        {
            errors.Add($"{path}:SigningKeys must list at least one key (the first one signs).");
        }
        for (var i = 0; i < b.SigningKeys.Count; i++)
        {
            var key = b.SigningKeys[i];
            if (string.IsNullOrWhiteSpace(key.Id) || !IdentifierRules.IsPrintable(key.Id) || key.Id.Length > 64)
            {
                errors.Add($"{path}:SigningKeys:{i}:Id must be 1-64 printable characters.");
            }
            else if (key.Id.EndsWith("+keys", StringComparison.Ordinal))
            {
                // The suffix names an ES256 key's twin that signs keys (refresh credentials).
                errors.Add($"{path}:SigningKeys:{i}:Id must not end with '+keys'.");
            }
            ValidateKeyMaterial($"{path}:SigningKeys:{i}", key, errors);
        }
        if (b.SigningKeys.Select(k => k.Id).Distinct(StringComparer.Ordinal).Count() != b.SigningKeys.Count)
        {
            errors.Add($"{path}:SigningKeys must not repeat a key Id.");
        }
        if (b.SigningKeys.Count > 0 && b.SigningKeys.All(k => k.SignFrom > clock.GetUtcNow()))
        {
            // Staging a key is for the next one: until the earliest SignFrom nothing could sign a token.
            errors.Add($"{path}:SigningKeys: every key's SignFrom is in the future, so no key could sign now; leave SignFrom unset on the key that signs until then.");
        }

        Positive(errors, $"{path}:SessionMinutes", b.SessionMinutes);
        Positive(errors, $"{path}:MfaSessionMinutes", b.MfaSessionMinutes);
        Positive(errors, $"{path}:UserTokenMinutes", b.UserTokenMinutes);
        Positive(errors, $"{path}:MfaTokenMinutes", b.MfaTokenMinutes);
        Positive(errors, $"{path}:KeyIdleDays", b.KeyIdleDays);
        if (b.KeyExpiryMinutes is { } keyExpiry) Positive(errors, $"{path}:KeyExpiryMinutes", keyExpiry);
        if (b.MfaKeyExpiryMinutes is { } mfaKeyExpiry) Positive(errors, $"{path}:MfaKeyExpiryMinutes", mfaKeyExpiry);
        Positive(errors, $"{path}:Web:TokenMinutes", b.Web.TokenMinutes);
        Positive(errors, $"{path}:Web:IdleMinutes", b.Web.IdleMinutes);
        Positive(errors, $"{path}:Web:MaxHours", b.Web.MaxHours);
        if (b.Web.MaxFamilies is < 1 or > 100)
        {
            errors.Add($"{path}:Web:MaxFamilies must be between 1 and 100.");
        }
        for (var i = 0; i < b.Web.AllowedOrigins.Count; i++)
        {
            if (WebOrigin.Normalize(b.Web.AllowedOrigins[i], out var reason) is null)
            {
                errors.Add($"{path}:Web:AllowedOrigins:{i} {reason}.");
            }
        }
        if (b.IntrospectionSecret is { } introspection && (introspection.Length < 32 || !IdentifierRules.IsPrintable(introspection)))
        {
            errors.Add($"{path}:IntrospectionSecret must be at least 32 printable characters.");
        }
        if (b.MaxOpenLogins is < 1 or > 1000)
        {
            errors.Add($"{path}:MaxOpenLogins must be between 1 and 1000.");
        }
        if (b.MaxDeviceSessions is < 1 or > 1000)
        {
            errors.Add($"{path}:MaxDeviceSessions must be between 1 and 1000.");
        }
        if (b.RecentLoginMinutes is < 1 or > 1440)
        {
            errors.Add($"{path}:RecentLoginMinutes must be between 1 and 1440.");
        }
        if (b.KeyReuseGraceSeconds is < 0 or > 300)
        {
            errors.Add($"{path}:KeyReuseGraceSeconds must be between 0 and 300.");
        }
        if (!Enum.IsDefined(b.DeviceBinding))
        {
            errors.Add($"{path}:DeviceBinding must be Off, Optional or Required.");
        }
        if (b.DeviceProofWindowSeconds is < 1 or > 600)
        {
            errors.Add($"{path}:DeviceProofWindowSeconds must be between 1 and 600.");
        }
        if (b.DeviceNonceSeconds is < 10 or > 3600)
        {
            errors.Add($"{path}:DeviceNonceSeconds must be between 10 and 3600.");
        }

        if (b.Otp.Length is < 4 or > 10)
        {
            errors.Add($"{path}:Otp:Length must be between 4 and 10.");
        }
        Positive(errors, $"{path}:Otp:TtlMinutes", b.Otp.TtlMinutes);
        Positive(errors, $"{path}:Otp:MaxAttempts", b.Otp.MaxAttempts);
        Positive(errors, $"{path}:Otp:MaxSends", b.Otp.MaxSends);
        Positive(errors, $"{path}:Otp:SendWindowMinutes", b.Otp.SendWindowMinutes);
        Positive(errors, $"{path}:Password:MaxAttempts", b.Password.MaxAttempts);
        if (b.Password.MinLength is < 1 or > 128)
        {
            errors.Add($"{path}:Password:MinLength must be between 1 and 128.");
        }
        Positive(errors, $"{path}:Lockout:MaxFailures", b.Lockout.MaxFailures);
        Positive(errors, $"{path}:Lockout:WindowMinutes", b.Lockout.WindowMinutes);
        Positive(errors, $"{path}:Lockout:LockMinutes", b.Lockout.LockMinutes);

        if (b.MfaPasswordRegex is { } pattern)
        {
            try
            {
                _ = new Regex(pattern, RegexOptions.None, TimeSpan.FromSeconds(1));
            }
            catch (ArgumentException)
            {
                errors.Add($"{path}:MfaPasswordRegex is not a valid regular expression.");
            }
        }

        for (var i = 0; i < b.TestIdentifiers.Count; i++)
        {
            var test = b.TestIdentifiers[i];
            if (!IdentifierRules.TryParseType(test.IdentifierType, out var type)
                || IdentifierRules.NormalizeValue(type, test.IdentifierValue, out _) is null)
            {
                errors.Add($"{path}:TestIdentifiers:{i} must name a valid IdentifierType and IdentifierValue.");
            }
            if (test.Otp.Length != b.Otp.Length || !test.Otp.All(char.IsAsciiDigit))
            {
                errors.Add($"{path}:TestIdentifiers:{i}:Otp must be {b.Otp.Length} digits ({path}:Otp:Length).");
            }
        }
    }

    private static void ValidateKeyMaterial(string path, SigningKeyOptions key, List<string> errors)
    {
        if (key.Algorithm == SigningAlgorithm.HS256)
        {
            if (!IsSecret(key.Secret))
            {
                errors.Add($"{path}:Secret must be a base64 secret of at least 32 bytes.");
            }
            if (!string.IsNullOrEmpty(key.PrivateKeyPem))
            {
                errors.Add($"{path}:PrivateKeyPem is for ES256 keys; an HS256 key has a Secret.");
            }
            return;
        }

        if (!string.IsNullOrEmpty(key.Secret))
        {
            errors.Add($"{path}:Secret must not be set for an ES256 key (its PrivateKeyPem signs).");
        }
        if (SigningKeyMaterial.ReadP256(key.PrivateKeyPem) is { } problem)
        {
            errors.Add($"{path}:PrivateKeyPem {problem}");
        }
    }

    private static void Positive(List<string> errors, string setting, int value)
    {
        if (value <= 0)
        {
            errors.Add($"{setting} must be greater than 0.");
        }
    }

    private static bool IsSecret(string? base64)
    {
        if (string.IsNullOrEmpty(base64))
        {
            return false;
        }
        Span<byte> bytes = stackalloc byte[base64.Length];
        return Convert.TryFromBase64String(base64, bytes, out var length) && length >= 32;
    }

    [GeneratedRegex("^[A-Za-z0-9_-]{1,64}$")]
    private static partial Regex BrandName();
}
