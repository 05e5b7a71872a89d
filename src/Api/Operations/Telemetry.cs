using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;

namespace Sessions.Api.Operations;

public static class Telemetry
{
    /// <summary>
    /// Metrics from this service, ASP.NET Core, the .NET runtime and Orleans, scraped as Prometheus text at
    /// <c>/metrics</c>; traces from ASP.NET Core and Orleans, exported by OTLP when <c>OTEL_EXPORTER_OTLP_ENDPOINT</c> is set.
    /// </summary>
    public static WebApplicationBuilder AddSessionsTelemetry(this WebApplicationBuilder builder)
    {
        builder.Services.AddSingleton<SessionsMetrics>();
        var telemetry = builder.Services.AddOpenTelemetry()
            .ConfigureResource(resource => resource.AddService("sessions"))
            .WithMetrics(metrics => metrics
                .AddMeter(SessionsMetrics.MeterName, Sessions.Grains.Passwords.PasswordWork.MeterName, "Microsoft.Orleans")
                // The HTTP server, connection and exception meters of ASP.NET Core, not every one it has: routing,
                // rate-limiting and memory-pool instruments record on every request, and what they would tell is
                // in sessions_requests_total (by route and envelope code, 429 included).
                .AddMeter("Microsoft.AspNetCore.Hosting", "Microsoft.AspNetCore.Server.Kestrel", "Microsoft.AspNetCore.Diagnostics")
                // Orleans' per-message counters and size histograms cost more per grain call than the grain's own
                // work on the hot path; its storage, membership, activation and latency instruments stay.
                .AddView("orleans-messaging-processing-*", MetricStreamConfiguration.Drop)
                .AddView("orleans-messaging-*-size", MetricStreamConfiguration.Drop)
                .AddRuntimeInstrumentation()
                .AddPrometheusExporter());
        // Without an exporter, recording spans is work for nobody: the hot path then creates no activities at all.
        if (IsTracing(builder.Configuration))
        {
            telemetry.WithTracing(tracing => tracing
                .AddSource("Microsoft.Orleans.Runtime", "Microsoft.Orleans.Application", "Microsoft.Orleans.Storage")
                .AddAspNetCoreInstrumentation(o => o.Filter = context => !context.Request.Path.StartsWithSegments(MetricsAccess.Path))
                .AddOtlpExporter());
        }
        return builder;
    }

    /// <summary>Whether spans are exported (OTLP endpoint set); the silo propagates trace context only then.</summary>
    public static bool IsTracing(IConfiguration configuration) => !string.IsNullOrWhiteSpace(configuration["OTEL_EXPORTER_OTLP_ENDPOINT"]);

    public static WebApplication MapSessionsTelemetry(this WebApplication app)
    {
        app.UseMiddleware<RequestMetricsMiddleware>();
        app.MapSessionsMetrics();
        return app;
    }
}
