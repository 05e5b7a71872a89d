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
                .AddMeter(SessionsMetrics.MeterName, "Microsoft.Orleans")
                .AddAspNetCoreInstrumentation()
                .AddRuntimeInstrumentation()
                .AddPrometheusExporter());
        // Without an exporter, recording spans is work for nobody: the hot path then creates no activities at all.
        if (!string.IsNullOrWhiteSpace(builder.Configuration["OTEL_EXPORTER_OTLP_ENDPOINT"]))
        {
            telemetry.WithTracing(tracing => tracing
                .AddSource("Microsoft.Orleans.Runtime", "Microsoft.Orleans.Application", "Microsoft.Orleans.Storage")
                .AddAspNetCoreInstrumentation(o => o.Filter = context => !context.Request.Path.StartsWithSegments("/metrics"))
                .AddOtlpExporter());
        }
        return builder;
    }

    public static WebApplication MapSessionsTelemetry(this WebApplication app)
    {
        app.UseMiddleware<RequestMetricsMiddleware>();
        app.MapPrometheusScrapingEndpoint("/metrics");
        return app;
    }
}
