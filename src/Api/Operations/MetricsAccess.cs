using Microsoft.Extensions.Options;
using Sessions.Api.Envelope;
using Sessions.Api.Security;

namespace Sessions.Api.Operations;

/// <summary>
/// The <c>Sessions:Metrics</c> section: who may read <c>/metrics</c> (API.md §8). Its figures tell an outsider how many
/// customers log in, fail and get locked, so outside Development it is served only on a port of its own (one the
/// gateway never routes) or behind HTTP Basic, and not at all when neither is set.
/// </summary>
public sealed class MetricsOptions
{
    public const string SectionName = "Sessions:Metrics";

    /// <summary>
    /// Serve <c>/metrics</c> only to connections that arrived on this local port. The process must listen on it too
    /// (<c>ASPNETCORE_HTTP_PORTS=8080;9090</c>); the connection's port is checked, never the Host header.
    /// </summary>
    public int? Port { get; set; }

    /// <summary>Ask for <see cref="Username"/> and <see cref="Password"/> (HTTP Basic), as Prometheus' <c>basic_auth</c> sends them.</summary>
    public bool RequireAuth { get; set; }

    public string? Username { get; set; }

    /// <summary>At least 16 characters.</summary>
    public string? Password { get; set; }

    public bool IsGuarded => Port is not null || RequireAuth;
}

public static partial class MetricsAccess
{
    public const string Path = "/metrics";

    public static WebApplicationBuilder AddSessionsMetricsAccess(this WebApplicationBuilder builder)
    {
        builder.Services.AddOptions<MetricsOptions>().BindConfiguration(MetricsOptions.SectionName)
            .Validate(o => o.Port is null or (> 0 and <= 65535), "Sessions:Metrics:Port must be a TCP port.")
            .Validate(o => !o.RequireAuth || !string.IsNullOrWhiteSpace(o.Username) && o.Password?.Length >= 16,
                "Sessions:Metrics:Username and Sessions:Metrics:Password (16+ characters) must be set when Sessions:Metrics:RequireAuth is true.")
            .ValidateOnStart();
        return builder;
    }

    /// <summary>Maps <c>/metrics</c> behind its guard; outside Development, an unguarded one is not mapped at all.</summary>
    public static WebApplication MapSessionsMetrics(this WebApplication app)
    {
        var options = app.Services.GetRequiredService<IOptions<MetricsOptions>>().Value;
        if (!options.IsGuarded && !app.Environment.IsDevelopment())
        {
            LogMetricsNotServed(app.Logger);
            return app;
        }

        var credentials = options.RequireAuth ? Secrets.Digest($"{options.Username}:{options.Password}") : null;
        app.MapPrometheusScrapingEndpoint(Path, meterProvider: null, configureBranchedPipeline: branch => branch.Use(async (context, next) =>
        {
            if (options.Port is { } port && context.Connection.LocalPort != port)
            {
                await EnvelopeWriter.WriteAsync(context, EnvelopeResult.Transport(StatusCodes.Status404NotFound, "Not found."));
                return;
            }
            if (credentials is not null && !(Secrets.TryReadBasic(context.Request, out var user, out var password) && Secrets.Matches($"{user}:{password}", credentials)))
            {
                context.Response.Headers.WWWAuthenticate = "Basic realm=\"sessions-metrics\"";
                await EnvelopeWriter.WriteAsync(context, EnvelopeResult.Transport(StatusCodes.Status401Unauthorized, "Metrics credentials required."));
                return;
            }
            await next(context);
        }), optionsName: null);
        return app;
    }

    [LoggerMessage(EventId = 103, Level = LogLevel.Warning,
        Message = "/metrics is not served: set Sessions:Metrics:Port (a port the gateway does not route) or Sessions:Metrics:RequireAuth to scrape it")]
    private static partial void LogMetricsNotServed(ILogger logger);
}
