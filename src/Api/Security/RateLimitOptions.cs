using System.Net;

namespace Sessions.Api.Security;

/// <summary>The <c>Sessions:RateLimit</c> section: requests per client address and minute (API.md §8).</summary>
public sealed class RateLimitOptions
{
    public const string SectionName = "Sessions:RateLimit";

    /// <summary>Default: on outside Development.</summary>
    public bool? Enabled { get; set; }

    public bool IsEnabled(IHostEnvironment environment) => Enabled ?? !environment.IsDevelopment();

    /// <summary>For the endpoints that send an OTP.</summary>
    public int OtpPerMinute { get; set; } = 30;

    /// <summary>For every other <c>/auth/v1</c> endpoint.</summary>
    public int PerMinute { get; set; } = 6000;

    /// <summary>Proxies whose <c>X-Forwarded-For</c> is believed; from anyone else the header is ignored.</summary>
    public List<string> KnownProxies { get; set; } = [];

    public IEnumerable<IPAddress> ProxyAddresses() => KnownProxies.Select(IPAddress.Parse);
}
