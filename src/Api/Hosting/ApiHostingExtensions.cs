using System.Reflection;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Options;
using Orleans.Configuration;
using Sessions.Api.Admin;
using Orleans.Dashboard;
using Sessions.Api.Endpoints;
using Sessions.Api.Envelope;
using Sessions.Api.OpenApi;
using Sessions.Api.Operations;
using Sessions.Api.Security;
using Sessions.Api.Tokens;
using Sessions.Grains;
using Sessions.Silo.Hosting;
using Sessions.Silo.Storage;

namespace Sessions.Api.Hosting;

public static class ApiHostingExtensions
{
    /// <summary>
    /// The API and, by <c>Sessions:Cluster:Mode</c>, what runs the grains: a co-hosted silo (Embedded, Silo) or an
    /// Orleans client of a Redis-membership cluster (Client).
    /// </summary>
    public static WebApplicationBuilder AddSessionsApi(this WebApplicationBuilder builder)
    {
        builder.AddSessionsOptions();
        builder.WebHost.ConfigureKestrel((context, kestrel) => BindLimits(context.Configuration, kestrel.Limits));
        var cluster = builder.Configuration.GetSection(SessionsClusterOptions.SectionName).Get<SessionsClusterOptions>() ?? new();
        if (cluster.Mode == ClusterMode.Client)
        {
            builder.AddSessionsClusterClient(cluster);
        }
        else
        {
            builder.AddSessionsSilo();
        }

        builder.Services.AddSingleton<SigningKeyRing>();
        builder.Services.AddSingleton<TokenIssuer>();
        builder.Services.AddSingleton<TokenVerifier>();
        builder.Services.AddSingleton<DeviceProofs>();
        builder.Services.AddSingleton<DeviceNonces>();
        builder.Services.AddSingleton<DeviceSessionReferences>();
        builder.Services.AddSingleton<CustomerSessions>();
        builder.Services.AddSingleton<IdempotentRetry>();
        builder.Services.AddSingleton<AuthServices>();
        builder.Services.AddSingleton<AuthAudit>();
        builder.AddSessionsRateLimiting();
        builder.AddSessionsBrowserOrigins();
        builder.AddSessionsTelemetry();
        builder.AddSessionsMetricsAccess();
        builder.AddSessionsHealth();
        builder.AddSessionsApiDocumentation();
        builder.AddSessionsDashboardOptions();
        builder.Services.AddSingleton<IValidateOptions<AdminOptions>, AdminOptionsValidator>();
        builder.Services.AddOptions<AdminOptions>().BindConfiguration(AdminOptions.SectionName).ValidateOnStart();
        return builder;
    }

    public static WebApplication MapSessionsApi(this WebApplication app)
    {
        app.UseForwardedHeaders();
        app.MapSessionsTelemetry();
        // Before the limiter and the envelope: a refused or failed call keeps the headers its page needs to read it.
        app.UseSessionsBrowserOrigins();
        app.UseMiddleware<EnvelopeErrorMiddleware>();
        app.UseSessionsRateLimiting();
        app.MapSessionsHealth();
        app.MapSessionsApiDocumentation();
        app.MapSessionsDashboard();
        app.MapFirstFactor();
        app.MapMfa();
        app.MapUser();
        app.MapSignedInDevices();
        app.MapJwks();
        app.MapIntrospection();
        app.MapSessionsAdmin();
        app.MapSessionsAdminConsole();
        app.MapDevOutbox();
        return app;
    }

    /// <summary>
    /// Kestrel reads its endpoints and certificates from <c>Kestrel</c>, not its limits: an API that faces clients with
    /// no gateway in front caps connections and header time from configuration like any other setting.
    /// </summary>
    private static void BindLimits(IConfiguration configuration, KestrelServerLimits limits)
    {
        const string section = "Kestrel:Limits";
        try
        {
            configuration.GetSection(section).Bind(limits);
        }
        catch (TargetInvocationException e) when (e.InnerException is ArgumentException refused)
        {
            // The binder names a value it cannot convert, but not one that Kestrel's own setter refuses.
            throw new InvalidOperationException($"{section}: {refused.Message}", refused);
        }
    }

    private static void AddSessionsClusterClient(this WebApplicationBuilder builder, SessionsClusterOptions cluster)
    {
        builder.Services.AddSingleton<RedisConnection>();
        builder.Services.AddSingleton<IStoreProbe, RedisStoreProbe>();
        builder.UseOrleansClient(client =>
        {
            client.Configure<ClusterOptions>(o => (o.ClusterId, o.ServiceId) = (cluster.ClusterId, cluster.ServiceId));
            client.UseClusterTls(cluster.Tls);
            client.UseRedisClustering(_ => { });
            client.Services.UseMembershipConnection();
            client.AddCallDeadlines();
            // Find silos that joined (or came back) within seconds, not the default minute.
            client.Configure<GatewayOptions>(o => o.GatewayListRefreshPeriod = TimeSpan.FromSeconds(5));
            if (Telemetry.IsTracing(builder.Configuration))
            {
                client.AddActivityPropagation();
            }
            if (Dashboard.IsEnabled(builder.Configuration))
            {
                client.AddDashboard();
            }
            // Silos may start after the API; keep trying rather than failing the start.
            client.UseConnectionRetryFilter(async (_, cancellationToken) =>
            {
                await Task.Delay(TimeSpan.FromSeconds(2), cancellationToken);
                return true;
            });
        });
    }
}
