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

    /// <summary>
    /// The proxies (addresses, or CIDR ranges such as <c>10.0.0.0/8</c> where the gateway's address changes) whose
    /// <c>X-Forwarded-For</c> is believed. Empty: the header is believed from no one, and the client address is the
    /// connection's.
    /// </summary>
    public List<string> KnownProxies { get; set; } = [];

    /// <summary>Each entry as a network: an address is a network of one.</summary>
    public IEnumerable<IPNetwork> ProxyNetworks() => KnownProxies.Select(entry => TryParseProxy(entry, out var network) ? network : throw new FormatException(entry));

    public static bool TryParseProxy(string entry, out IPNetwork network)
    {
        if (IPAddress.TryParse(entry, out var address))
        {
            network = new IPNetwork(address, address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork ? 32 : 128);
            return true;
        }
        return IPNetwork.TryParse(entry, out network);
    }
}
