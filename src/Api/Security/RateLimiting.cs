using System.Threading.RateLimiting;
using Microsoft.AspNetCore.HttpOverrides;
using Microsoft.AspNetCore.RateLimiting;
using Microsoft.Extensions.Options;
using Sessions.Api.Envelope;

namespace Sessions.Api.Security;

/// <summary>
/// Per-client-address limits with ASP.NET Core's rate limiter: one fixed one-minute window per address and policy.
/// The address is the connection's, or the <c>X-Forwarded-For</c> one when the connection is a known proxy.
/// </summary>
public static class RateLimiting
{
    public const string OtpPolicy = "otp-per-address";
    public const string AuthPolicy = "auth-per-address";

    public static WebApplicationBuilder AddSessionsRateLimiting(this WebApplicationBuilder builder)
    {
        builder.Services.AddOptions<RateLimitOptions>().BindConfiguration(RateLimitOptions.SectionName)
            .Validate(o => o.OtpPerMinute > 0 && o.PerMinute > 0, "Sessions:RateLimit:OtpPerMinute and Sessions:RateLimit:PerMinute must be greater than 0.")
            .Validate(o => o.KnownProxies.All(p => System.Net.IPAddress.TryParse(p, out _)), "Sessions:RateLimit:KnownProxies must list IP addresses.")
            .ValidateOnStart();
        builder.Services.AddOptions<ForwardedHeadersOptions>().Configure<IOptions<RateLimitOptions>>((forwarded, limits) =>
        {
            forwarded.ForwardedHeaders = ForwardedHeaders.XForwardedFor;
            forwarded.KnownIPNetworks.Clear();
            forwarded.KnownProxies.Clear();
            foreach (var proxy in limits.Value.ProxyAddresses())
            {
                forwarded.KnownProxies.Add(proxy);
            }
        });

        var enabledByDefault = !builder.Environment.IsDevelopment();
        builder.Services.AddRateLimiter(limiter =>
        {
            limiter.AddPolicy(OtpPolicy, context => PerAddress(context, enabledByDefault, o => o.OtpPerMinute));
            limiter.AddPolicy(AuthPolicy, context => PerAddress(context, enabledByDefault, o => o.PerMinute));
            limiter.OnRejected = (rejected, _) =>
            {
                var retryAfter = rejected.Lease.TryGetMetadata(MetadataName.RetryAfter, out var wait) ? wait : TimeSpan.FromMinutes(1);
                return new ValueTask(EnvelopeWriter.WriteAsync(rejected.HttpContext,
                    EnvelopeResult.Transport(StatusCodes.Status429TooManyRequests, "Too many requests from this address.", retryAfter)));
            };
        });
        return builder;
    }

    private static RateLimitPartition<string> PerAddress(HttpContext context, bool enabledByDefault, Func<RateLimitOptions, int> permits)
    {
        var options = context.RequestServices.GetRequiredService<IOptions<RateLimitOptions>>().Value;
        var address = context.Connection.RemoteIpAddress?.ToString() ?? "unknown";
        if (!(options.Enabled ?? enabledByDefault))
        {
            return RateLimitPartition.GetNoLimiter(address);
        }

        var limit = permits(options);
        return RateLimitPartition.GetFixedWindowLimiter(address, _ => new FixedWindowRateLimiterOptions
        {
            PermitLimit = limit,
            Window = TimeSpan.FromMinutes(1),
            QueueLimit = 0,
        });
    }
}
