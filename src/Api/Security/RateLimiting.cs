using System.Net;
using System.Threading.RateLimiting;
using Microsoft.AspNetCore.HttpOverrides;
using Microsoft.AspNetCore.RateLimiting;
using Microsoft.Extensions.Options;
using Sessions.Api.Envelope;

namespace Sessions.Api.Security;

/// <summary>
/// Per-client-address limits with ASP.NET Core's rate limiter: one fixed one-minute window per address and policy
/// (per /64 for IPv6, which a single client is handed whole). The address is the connection's, or the
/// <c>X-Forwarded-For</c> one when the connection is a configured proxy; with no proxy configured the header is
/// believed from no one (a cleared list would make ASP.NET Core believe it from everyone).
/// </summary>
public static class RateLimiting
{
    public const string OtpPolicy = "otp-per-address";
    public const string AuthPolicy = "auth-per-address";

    public static WebApplicationBuilder AddSessionsRateLimiting(this WebApplicationBuilder builder)
    {
        builder.Services.AddOptions<RateLimitOptions>().BindConfiguration(RateLimitOptions.SectionName)
            .Validate(o => o.OtpPerMinute > 0 && o.PerMinute > 0, "Sessions:RateLimit:OtpPerMinute and Sessions:RateLimit:PerMinute must be greater than 0.")
            .Validate(o => o.KnownProxies.All(p => RateLimitOptions.TryParseProxy(p, out _)), "Sessions:RateLimit:KnownProxies must list IP addresses or CIDR ranges (10.0.0.0/8).")
            .ValidateOnStart();
        builder.Services.AddOptions<ForwardedHeadersOptions>().Configure<IOptions<RateLimitOptions>>((forwarded, limits) =>
        {
            forwarded.KnownIPNetworks.Clear();
            forwarded.KnownProxies.Clear();
            foreach (var network in limits.Value.ProxyNetworks())
            {
                forwarded.KnownIPNetworks.Add(network);
            }
            forwarded.ForwardedHeaders = forwarded.KnownIPNetworks.Count > 0 ? ForwardedHeaders.XForwardedFor : ForwardedHeaders.None;
        });

        builder.Services.AddRateLimiter(limiter =>
        {
            limiter.AddPolicy(OtpPolicy, context => PerAddress(context, o => o.OtpPerMinute));
            limiter.AddPolicy(AuthPolicy, context => PerAddress(context, o => o.PerMinute));
            limiter.OnRejected = (rejected, _) =>
            {
                var retryAfter = rejected.Lease.TryGetMetadata(MetadataName.RetryAfter, out var wait) ? wait : TimeSpan.FromMinutes(1);
                return new ValueTask(EnvelopeWriter.WriteAsync(rejected.HttpContext,
                    EnvelopeResult.Transport(StatusCodes.Status429TooManyRequests, "Too many requests from this address.", retryAfter)));
            };
        });
        return builder;
    }

    /// <summary>
    /// The limiter, where it is on: a disabled limiter is left out of the pipeline, so that it costs nothing per
    /// request (a partition lookup under a lock, otherwise).
    /// </summary>
    public static WebApplication UseSessionsRateLimiting(this WebApplication app)
    {
        if (app.Services.GetRequiredService<IOptions<RateLimitOptions>>().Value.IsEnabled(app.Environment))
        {
            app.UseRateLimiter();
        }
        return app;
    }

    private static RateLimitPartition<IPAddress> PerAddress(HttpContext context, Func<RateLimitOptions, int> permits)
    {
        var limit = permits(context.RequestServices.GetRequiredService<IOptions<RateLimitOptions>>().Value);
        return RateLimitPartition.GetFixedWindowLimiter(Client(context.Connection.RemoteIpAddress), _ => new FixedWindowRateLimiterOptions
        {
            PermitLimit = limit,
            Window = TimeSpan.FromMinutes(1),
            QueueLimit = 0,
        });
    }

    /// <summary>The partition of an address: itself for IPv4, its /64 for IPv6 (one client's usual allocation).</summary>
    public static IPAddress Client(IPAddress? address)
    {
        if (address is null)
        {
            return IPAddress.None;
        }
        if (address.IsIPv4MappedToIPv6)
        {
            return address.MapToIPv4();
        }
        if (address.AddressFamily != System.Net.Sockets.AddressFamily.InterNetworkV6)
        {
            return address;
        }
        Span<byte> bytes = stackalloc byte[16];
        address.TryWriteBytes(bytes, out _);
        bytes[8..].Clear();
        return new IPAddress(bytes);
    }
}
