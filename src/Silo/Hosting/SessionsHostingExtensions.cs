using System.Net;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Orleans.Configuration;
using Orleans.Dashboard;
using Orleans.Serialization;
using Orleans.Storage;
using Sessions.Grains;
using Sessions.Grains.Configuration;
using Sessions.Grains.Customers;
using Sessions.Grains.Otp;
using Sessions.Grains.Passwords;
using Sessions.Grains.StoreSweep;
using Sessions.Silo.Logging;
using Sessions.Silo.Storage;
using StackExchange.Redis;

namespace Sessions.Silo.Hosting;

public static class SessionsHostingExtensions
{
    /// <summary>Binds and validates <c>Sessions</c>, <c>Sessions:Storage</c> and <c>Sessions:Cluster</c> (once per host).</summary>
    public static IHostApplicationBuilder AddSessionsOptions(this IHostApplicationBuilder builder)
    {
        var services = builder.Services;
        if (services.Any(d => d.ImplementationType == typeof(SessionsOptionsValidator)))
        {
            return builder;
        }

        services.AddSingleton<IValidateOptions<SessionsOptions>, SessionsOptionsValidator>();
        services.AddSingleton<IPostConfigureOptions<SessionsOptions>, DevelopmentSecrets>();
        services.AddOptions<SessionsOptions>().BindConfiguration(SessionsOptions.SectionName).ValidateOnStart();

        services.AddSingleton<IValidateOptions<StorageOptions>, StorageOptionsValidator>();
        services.AddSingleton<IValidateOptions<SessionsClusterOptions>, ClusterOptionsValidator>();
        services.AddOptions<StorageOptions>().BindConfiguration(StorageOptions.SectionName).ValidateOnStart();
        services.AddOptions<SessionsClusterOptions>().BindConfiguration(SessionsClusterOptions.SectionName).ValidateOnStart();

        services.TryAddKeyedSingleton(ServiceKeys.Clock, TimeProvider.System);
        services.AddHostedService<TestIdentifierWarning>();
        // No console line leaves the process with a customer's identifier in a grain id.
        builder.Logging.AddSessionsLogRedaction();
        // An outage that fails every call does not also flood the logs with one stack per call, and Orleans' start-up
        // race does not page anyone.
        builder.Logging.AddSessionsLogSampling();
        return builder;
    }

    /// <summary>
    /// Hosts a silo in this process: clustering by <c>Sessions:Cluster:Mode</c>, grain state in Redis (the embedded
    /// store or <c>ConnectionStrings:Redis</c>), and the services the grains need.
    /// </summary>
    public static IHostApplicationBuilder AddSessionsSilo(this IHostApplicationBuilder builder)
    {
        builder.AddSessionsOptions();
        var storage = builder.Configuration.GetSection(StorageOptions.SectionName).Get<StorageOptions>() ?? new();
        var cluster = builder.Configuration.GetSection(SessionsClusterOptions.SectionName).Get<SessionsClusterOptions>() ?? new();
        if (storage.Mode == StorageMode.Embedded)
        {
            builder.AddSessionsEmbeddedStore();
        }

        builder.UseOrleans(silo =>
        {
            silo.Configure<ClusterOptions>(o => (o.ClusterId, o.ServiceId) = (cluster.ClusterId, cluster.ServiceId));
            if (cluster.Mode == ClusterMode.Embedded)
            {
                // No gateway: the co-hosted API calls the silo in process, and a port no one needs is a way in.
                silo.UseLocalhostClustering(cluster.SiloPort, gatewayPort: 0, serviceId: cluster.ServiceId, clusterId: cluster.ClusterId);
            }
            else
            {
                silo.ConfigureEndpoints(AdvertisedAddress(cluster), cluster.SiloPort, cluster.GatewayPort, listenOnAnyHostAddress: true);
                if (cluster.SiloName is { Length: > 0 } siloName)
                {
                    silo.Configure<SiloOptions>(o => o.SiloName = siloName);
                }
                silo.UseClusterTls(cluster.Tls);
                silo.Configure<ClusterMembershipOptions>(o => ApplyMembershipTimings(o, cluster.Membership));
                silo.UseRedisClustering(_ => { });
                silo.Services.UseMembershipConnection();
            }
            silo.AddSessionsGrains();
            // Deadlines guard calls that cross from one process to another, where a frozen host can hold a request
            // its caller has given up on. The embedded default is one process with one silo and no gateway: every
            // call waits in the grain's own queue behind the calls made before it and freezes with its caller, so
            // there is nothing for them to guard, and the filters would take a tenth or more of a regenerate's CPU.
            if (cluster.Mode != ClusterMode.Embedded)
            {
                silo.AddCallDeadlines();
            }
            silo.Configure<GrainCollectionOptions>(o => ApplyGrainCollection(o, cluster.GrainCollection));
            // Trace context crosses grain calls only where spans are exported: each propagated call is a filter and an
            // activity lookup on the hot path, for nobody otherwise.
            if (!string.IsNullOrWhiteSpace(builder.Configuration["OTEL_EXPORTER_OTLP_ENDPOINT"]))
            {
                silo.AddActivityPropagation();
            }
            if (builder.Configuration.GetValue<bool>("Sessions:Dashboard:Enabled"))
            {
                // The grains' calls are profiled for the dashboard only while someone looks at it.
                silo.AddDashboard(o => o.HideTrace = true);
            }
        });
        return builder;
    }

    /// <summary>
    /// The embedded store for the silo this host runs: Garnet in the process, its data under
    /// <c>Sessions:Storage:DataDirectory</c>, as durable as <c>Sessions:Storage:EmbeddedDurability</c> says. Added before
    /// the silo, it starts first and, hosted services stopping in reverse, stops last; <see cref="AddSessionsGrains"/> then
    /// keeps grain state and reminders in it. <see cref="AddSessionsSilo"/> adds it in the embedded default; a test cluster
    /// of one silo (Orleans.TestingHost) adds it to its silo's host, and needs nothing installed. It adds the Sessions
    /// options too (<see cref="AddSessionsOptions"/>).
    /// </summary>
    public static IHostApplicationBuilder AddSessionsEmbeddedStore(this IHostApplicationBuilder builder)
    {
        var services = builder.Services;
        if (EmbeddedStore(services) is not null)
        {
            return builder;
        }

        builder.AddSessionsOptions();
        var storage = builder.Configuration.GetSection(StorageOptions.SectionName).Get<StorageOptions>() ?? new();
        if (storage.Mode != StorageMode.Embedded)
        {
            // The grains would keep their state here while the settings, and whoever reads them, say it is in Redis.
            throw new InvalidOperationException($"{StorageOptions.SectionName}:Mode is {storage.Mode}: the embedded store is for Mode Embedded only.");
        }
        var durability = storage.EmbeddedDurability;
        services.AddSingleton(new EmbeddedStoreRegistration(durability));
        // The fully durable mode commits the log once per group of writes, beside the grains (AofGroupCommit).
        services.AddSingleton(sp => ActivatorUtilities.CreateInstance<EmbeddedGarnet>(sp, durability == EmbeddedDurability.Acknowledged));
        services.AddHostedService<EmbeddedStoreLifetime>();
        services.TryAddSingleton<IStoreProbe, EmbeddedStoreProbe>();
        return builder;
    }

    /// <summary>The durability of the embedded store the host has (<see cref="AddSessionsEmbeddedStore"/>); null when it has none.</summary>
    private static EmbeddedDurability? EmbeddedStore(IServiceCollection services) =>
        services.LastOrDefault(d => d.ServiceType == typeof(EmbeddedStoreRegistration))?.ImplementationInstance is EmbeddedStoreRegistration registration
            ? registration.Durability
            : null;

    /// <summary>
    /// What a silo needs to run the session grains: grain storage (Orleans binary serializer, version tolerant through
    /// the state records' [Id]s) and the reminder table beside it, the OTP hasher and the OTP sender. Grain state and
    /// reminders go to the shared Redis connection, or, where the host has the embedded store
    /// (<see cref="AddSessionsEmbeddedStore"/>), straight into it.
    /// </summary>
    public static ISiloBuilder AddSessionsGrains(this ISiloBuilder silo)
    {
        var services = silo.Services;
        services.TryAddSingleton<RedisConnection>();
        services.TryAddSingleton<IStoreProbe, RedisStoreProbe>();
        services.TryAddSingleton<GrainStateKeys>();
        services.AddSingleton<StoreSweepSchedule>();
        services.AddSingleton<ILifecycleParticipant<ISiloLifecycle>>(sp => sp.GetRequiredService<StoreSweepSchedule>());
        if (EmbeddedStore(services) is { } durability)
        {
            services.TryAddSingleton<IStoredStates, EmbeddedStoredStates>();
            services.AddSingleton<EmbeddedGrainStorage>();
            if (durability == EmbeddedDurability.Acknowledged)
            {
                services.AddSingleton<AofGroupCommit>();
                services.AddKeyedSingleton<IGrainStorage>(ServiceKeys.Storage, (sp, _) =>
                    new GroupCommittedGrainStorage(sp.GetRequiredService<EmbeddedGrainStorage>(), sp.GetRequiredService<AofGroupCommit>()));
            }
            else
            {
                services.AddKeyedSingleton<IGrainStorage>(ServiceKeys.Storage, (sp, _) => sp.GetRequiredService<EmbeddedGrainStorage>());
            }
            services.AddReminders();
            services.AddSingleton<IReminderTable>(sp => new EmbeddedReminderTable(
                sp.GetRequiredService<EmbeddedGarnet>(), sp.GetRequiredService<IOptions<ClusterOptions>>(), sp.GetService<AofGroupCommit>()));
        }
        else
        {
            services.TryAddSingleton<IStoredStates, RedisStoredStates>();
            // Orleans' Redis provider under a name of its own, behind the sessions storage: with replicas required, a
            // write counts only once they hold it (ReplicaAcknowledgedGrainStorage).
            const string redisStorage = ServiceKeys.Storage + "-redis";
            silo.AddRedisGrainStorage(redisStorage, ob => ob.Configure<RedisConnection, Serializer, GrainStateKeys>((o, redis, serializer, keys) =>
            {
                o.ConfigurationOptions = redis.State.Options;
                o.CreateMultiplexer = async _ => ((IConnectionMultiplexer)await redis.State.GetAsync(), true);
                o.GrainStorageSerializer = new OrleansGrainStorageSerializer(serializer);
                o.GetStorageKey = (stateName, grainId) => keys.Of(stateName, grainId);
                // An empty device session or identifier (an anonymous caller's expired login) leaves no key behind.
                o.DeleteStateOnClear = true;
            }));
            // Reminders (a customer's security events waiting for the webhook) on the same connection as the state, and
            // with replicas required, counted only once they hold them, as the state's writes are.
            silo.UseRedisReminderService(_ => { });
            services.AddOptions<RedisReminderTableOptions>().Configure<RedisConnection>((o, redis) =>
            {
                o.ConfigurationOptions = redis.State.Options;
                o.CreateMultiplexer = async _ => ((IConnectionMultiplexer)await redis.State.GetAsync(), true);
            });
            var redisReminders = services.Last(d => d.ServiceType == typeof(IReminderTable)).ImplementationType
                ?? throw new InvalidOperationException("Orleans' Redis reminder table is no longer registered by its type: the replica acknowledgements cannot wrap it.");
            services.Replace(ServiceDescriptor.Singleton<IReminderTable>(sp =>
            {
                var table = (IReminderTable)ActivatorUtilities.CreateInstance(sp, redisReminders);
                return RequiresReplicaAcks(sp) ? new ReplicaAcknowledgedReminderTable(table, sp.GetRequiredService<ReplicaAcknowledgements>(),
                    sp.GetRequiredService<IOptions<ClusterOptions>>().Value.ServiceId) : table;
            }));
            services.TryAddSingleton(sp =>
            {
                var storage = sp.GetRequiredService<IOptions<StorageOptions>>().Value;
                return new ReplicaAcknowledgements(sp.GetRequiredService<RedisConnection>(), storage.RequireReplicaAcks, storage.ReplicaAckTimeout);
            });
            services.AddKeyedSingleton<IGrainStorage>(ServiceKeys.Storage, (sp, _) =>
            {
                var redis = sp.GetRequiredKeyedService<IGrainStorage>(redisStorage);
                return RequiresReplicaAcks(sp)
                    ? new ReplicaAcknowledgedGrainStorage(redis, sp.GetRequiredService<ReplicaAcknowledgements>(), sp.GetRequiredService<GrainStateKeys>())
                    : redis;
            });
        }

        services.TryAddSingleton(sp => new OtpHasher(OtpHashKey(sp)));
        services.TryAddSingleton(sp => new PendingPasswords(OtpHashKey(sp)));
        services.TryAddSingleton<PasswordWork>();
        services.AddHttpClient<WebhookOtpSender>();
        services.AddHttpClient(nameof(SecurityEventWebhook));
        services.TryAddSingleton<SecurityEventWebhook>();
        services.TryAddSingleton<LogOtpSender>();
        services.TryAddSingleton<DevOutboxOtpSender>();
        services.TryAddSingleton<IOtpSender>(sp => sp.GetRequiredService<IOptions<SessionsOptions>>().Value.Otp.Sender switch
        {
            OtpSenderKind.Log => sp.GetRequiredService<LogOtpSender>(),
            OtpSenderKind.DevOutbox => sp.GetRequiredService<DevOutboxOtpSender>(),
            _ => sp.GetRequiredService<WebhookOtpSender>(),
        });
        return silo;
    }

    /// <summary>
    /// Orleans' Redis membership (a silo's table, a client's gateway list) on this process's membership connection
    /// (<see cref="RedisConnection.Membership"/>), which reads the layout again after a failover (<see cref="RedisRouteRefresh"/>),
    /// and keeps the table's key routed to its primary.
    /// </summary>
    public static IServiceCollection UseMembershipConnection(this IServiceCollection services)
    {
        services.TryAddSingleton<RedisConnection>();
        services.AddOptions<Orleans.Clustering.Redis.RedisClusteringOptions>()
            .Configure<RedisConnection, IOptions<ClusterOptions>>((o, redis, cluster) =>
            {
                o.ConfigurationOptions = redis.Membership.Options;
                o.CreateMultiplexer = async options =>
                {
                    redis.Membership.ProbeRouteOf(options.CreateRedisKey(cluster.Value));
                    return (await redis.Membership.GetAsync(), true);
                };
            });
        return services;
    }

    /// <summary>Whether a write to Redis counts only once replicas hold it (Sessions:Storage:RequireReplicaAcks).</summary>
    private static bool RequiresReplicaAcks(IServiceProvider services) =>
        services.GetRequiredService<IOptions<StorageOptions>>().Value.RequireReplicaAcks > 0;

    private static byte[] OtpHashKey(IServiceProvider services) =>
        Convert.FromBase64String(services.GetRequiredService<IOptions<SessionsOptions>>().Value.Otp.HashKey!);

    private static void ApplyGrainCollection(GrainCollectionOptions options, GrainCollectionSettings settings)
    {
        options.CollectionAge = TimeSpan.FromMinutes(settings.IdleMinutes);
        options.EnableActivationSheddingOnMemoryPressure = settings.ShedAtMemoryPercent > 0;
        if (settings.ShedAtMemoryPercent > 0)
        {
            options.MemoryUsageLimitPercentage = settings.ShedAtMemoryPercent;
            options.MemoryUsageTargetPercentage = settings.MemoryTargetPercent;
        }
    }

    private static void ApplyMembershipTimings(ClusterMembershipOptions membership, MembershipTimings timings)
    {
        membership.IAmAliveTablePublishTimeout = timings.IAmAlivePeriod;
        membership.NumMissedTableIAmAliveLimit = timings.MissedIAmAliveLimit;
        membership.ProbeTimeout = timings.ProbeTimeout;
        if (timings.ProbeTimeout < membership.MinProbeTimeout)
        {
            membership.MinProbeTimeout = timings.ProbeTimeout;
        }
        membership.NumMissedProbesLimit = timings.MissedProbesLimit;
        membership.TableRefreshTimeout = timings.TableRefreshPeriod;
    }

    private static IPAddress AdvertisedAddress(SessionsClusterOptions cluster) =>
        cluster.AdvertisedAddress is { Length: > 0 } address
            ? IPAddress.Parse(address)
            : Dns.GetHostAddresses(Dns.GetHostName()).FirstOrDefault(a => a.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork)
              ?? IPAddress.Loopback;
}
