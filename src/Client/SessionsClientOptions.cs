using Microsoft.Extensions.Options;

namespace Sessions.Client;

/// <summary>Where the service is, which brand the app is, and how the session keeper paces itself.</summary>
public sealed class SessionsClientOptions
{
    /// <summary>The configuration section <c>AddSessionsClient(configuration)</c> binds.</summary>
    public const string SectionName = "SessionsClient";

    /// <summary>The service's base address, e.g. <c>https://auth.example.com/</c>; <c>/auth/v1/...</c> is appended.</summary>
    public Uri? BaseAddress { get; set; }

    /// <summary>The app's brand (API.md §2).</summary>
    public string Brand { get; set; } = "";

    /// <summary>How long before a token expires the keeper replaces it, so a caller never gets one about to die.</summary>
    public TimeSpan RefreshBeforeExpiry { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>
    /// How long before a token expires a caller starts the next regenerate without waiting for it: the token is handed
    /// out at once and its successor fetched meanwhile, so a caller waits only when no call came in this window. Equal
    /// to <see cref="RefreshBeforeExpiry"/>, every regenerate is waited for.
    /// </summary>
    public TimeSpan RefreshAheadBeforeExpiry { get; set; } = TimeSpan.FromMinutes(3);

    /// <summary>The brand's <c>KeyReuseGraceSeconds</c>: how long after a regenerate was sent its key may be presented again.</summary>
    public TimeSpan ReuseGrace { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Kept off <see cref="ReuseGrace"/>: a retry must reach the service well inside the grace, not at its edge.</summary>
    public TimeSpan GraceSafetyMargin { get; set; } = TimeSpan.FromSeconds(8);

    /// <summary>How long one call may take before it counts as lost.</summary>
    public TimeSpan RequestTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// Bind new sessions to a device key (API.md §4.7; the brand's <c>DeviceBinding</c> is <c>Optional</c> or
    /// <c>Required</c>): every validate and regenerate then carries a proof by it.
    /// </summary>
    public bool BindToDevice { get; set; }

    /// <summary>Where the default file store keeps sessions; by default a <c>Sessions.Client</c> folder in the user's local application data.</summary>
    public string? StoreDirectory { get; set; }

    /// <summary>How long a keeper waits for another process that shares the store to finish its regenerate.</summary>
    public TimeSpan StoreLockTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// <c>{BaseAddress}/auth/v1/{path}</c>. A base without a trailing slash (<c>https://example.com/sessions</c>) still
    /// keeps its last segment, which <see cref="Uri"/>'s relative resolution would drop.
    /// </summary>
    internal Uri Endpoint(string path) =>
        new(BaseAddress!.AbsoluteUri.EndsWith('/') ? BaseAddress : new Uri(BaseAddress.AbsoluteUri + "/"), "auth/v1/" + path);
}

/// <summary>Checks <see cref="SessionsClientOptions"/> when the app starts; every message names the setting.</summary>
internal sealed class SessionsClientOptionsValidator : IValidateOptions<SessionsClientOptions>
{
    public ValidateOptionsResult Validate(string? name, SessionsClientOptions options) =>
        Problems(options) is { Count: > 0 } problems ? ValidateOptionsResult.Fail(problems) : ValidateOptionsResult.Success;

    public static List<string> Problems(SessionsClientOptions options)
    {
        var problems = new List<string>();
        if (options.BaseAddress is not { IsAbsoluteUri: true, Scheme: "http" or "https" })
        {
            problems.Add($"{SessionsClientOptions.SectionName}:BaseAddress must be an absolute http(s) URL.");
        }
        if (string.IsNullOrWhiteSpace(options.Brand))
        {
            problems.Add($"{SessionsClientOptions.SectionName}:Brand must name the app's brand.");
        }
        if (options.ReuseGrace <= TimeSpan.Zero || options.GraceSafetyMargin < TimeSpan.Zero || options.GraceSafetyMargin >= options.ReuseGrace)
        {
            problems.Add($"{SessionsClientOptions.SectionName}:GraceSafetyMargin must be at least 0 and less than ReuseGrace (the brand's KeyReuseGraceSeconds).");
        }
        if (options.RequestTimeout <= TimeSpan.Zero || options.RefreshBeforeExpiry < TimeSpan.Zero || options.StoreLockTimeout <= TimeSpan.Zero)
        {
            problems.Add($"{SessionsClientOptions.SectionName}:RequestTimeout and StoreLockTimeout must be positive, RefreshBeforeExpiry at least 0.");
        }
        if (options.RefreshAheadBeforeExpiry < options.RefreshBeforeExpiry)
        {
            problems.Add($"{SessionsClientOptions.SectionName}:RefreshAheadBeforeExpiry must be at least RefreshBeforeExpiry (equal to wait for every regenerate).");
        }
        return problems;
    }

    /// <summary>For apps that build the client by hand: the same checks, thrown.</summary>
    public static SessionsClientOptions Checked(SessionsClientOptions options) =>
        Problems(options) is { Count: > 0 } problems ? throw new OptionsValidationException(SessionsClientOptions.SectionName, typeof(SessionsClientOptions), problems) : options;
}
