using System.Text.Json;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Orleans.Runtime;
using Sessions.Api.Tokens;
using Sessions.Grains;
using Sessions.Silo.Storage;

namespace Sessions.Api.Operations;

/// <summary>
/// <c>/health/live</c>: the process answers (nothing remote, so a store outage does not restart every replica).
/// <c>/health/ready</c>: the store answers a round trip, the cluster has an active silo, signing keys are loaded,
/// and the process is not shutting down.
/// </summary>
public static class Health
{
    private const string Ready = "ready";
    private static readonly TimeSpan CheckTimeout = TimeSpan.FromSeconds(3);

    public static WebApplicationBuilder AddSessionsHealth(this WebApplicationBuilder builder)
    {
        builder.Services.AddHealthChecks()
            .AddCheck<StoreCheck>("store", tags: [Ready])
            .AddCheck<ClusterCheck>("cluster", tags: [Ready])
            .AddCheck<SigningKeysCheck>("signing-keys", tags: [Ready])
            .AddCheck<NotStoppingCheck>("not-stopping", tags: [Ready]);
        return builder;
    }

    public static WebApplication MapSessionsHealth(this WebApplication app)
    {
        app.MapHealthChecks("/health/live", new HealthCheckOptions { Predicate = _ => false, ResponseWriter = WriteAsync });
        app.MapHealthChecks("/health/ready", new HealthCheckOptions { Predicate = c => c.Tags.Contains(Ready), ResponseWriter = WriteAsync });
        return app;
    }

    private static Task WriteAsync(HttpContext context, HealthReport report)
    {
        context.Response.ContentType = "application/json; charset=utf-8";
        context.Response.Headers.CacheControl = "no-store";
        return JsonSerializer.SerializeAsync(context.Response.Body, new HealthBody(
            report.Status.ToString(),
            report.Entries.ToDictionary(e => e.Key, e => new HealthEntry(e.Value.Status.ToString(), e.Value.Description))),
            HealthJson.Default.HealthBody);
    }

    private sealed class StoreCheck(IStoreProbe store) : IHealthCheck
    {
        public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
        {
            try
            {
                return HealthCheckResult.Healthy(await store.ProbeAsync(cancellationToken));
            }
            catch (Exception e) when (e is TimeoutException or StackExchange.Redis.RedisException or Orleans.Persistence.Redis.RedisStorageException or ObjectDisposedException)
            {
                return HealthCheckResult.Unhealthy("the store does not answer");
            }
        }
    }

    private sealed class ClusterCheck(IGrainFactory grains) : IHealthCheck
    {
        public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
        {
            try
            {
                var silos = await grains.GetGrain<IManagementGrain>(0).GetHosts(onlyActive: true).WaitAsync(CheckTimeout, cancellationToken);
                return silos.Count > 0 ? HealthCheckResult.Healthy($"{silos.Count} active silo(s)") : HealthCheckResult.Unhealthy("no active silo");
            }
            catch (Exception) when (!cancellationToken.IsCancellationRequested)
            {
                // Whatever the failure (a silo whose store is down answers with the store's exception), not ready.
                return HealthCheckResult.Unhealthy("the cluster does not answer");
            }
        }
    }

    /// <summary>Keys are loaded; and, so an operator can see a staged rotation on every process, which key signs until when.</summary>
    private sealed class SigningKeysCheck(SigningKeyRing keys, [FromKeyedServices(ServiceKeys.Clock)] TimeProvider clock) : IHealthCheck
    {
        public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default) =>
            Task.FromResult(keys.BrandCount > 0
                ? HealthCheckResult.Healthy(string.Join("; ", [$"{keys.BrandCount} brand(s)", .. keys.StagedKeys(clock.GetUtcNow())]))
                : HealthCheckResult.Unhealthy("no signing keys"));
    }

    private sealed class NotStoppingCheck(IHostApplicationLifetime lifetime) : IHealthCheck
    {
        public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default) =>
            Task.FromResult(lifetime.ApplicationStopping.IsCancellationRequested ? HealthCheckResult.Unhealthy("shutting down") : HealthCheckResult.Healthy());
    }
}

internal sealed record HealthBody(string Status, Dictionary<string, HealthEntry> Checks);

internal sealed record HealthEntry(string Status, string? Description);

[System.Text.Json.Serialization.JsonSourceGenerationOptions(JsonSerializerDefaults.Web)]
[System.Text.Json.Serialization.JsonSerializable(typeof(HealthBody))]
internal sealed partial class HealthJson : System.Text.Json.Serialization.JsonSerializerContext;
