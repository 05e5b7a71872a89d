using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging;
using StackExchange.Redis;

namespace Sessions.Silo.Storage;

/// <summary>
/// This process's connections to Redis: one to the grain state's store (<c>ConnectionStrings:Redis</c>: a primary, or a
/// Redis Cluster's seeds) and one for cluster membership (a silo's table, the API's gateway list:
/// <c>ConnectionStrings:Membership</c>, else the same store).
/// They are separate multiplexers, so a write waiting for its replicas (<see cref="ReplicaAcknowledgements"/>) never
/// holds up a silo's I-am-alive; each reads the cluster's layout again when a failover leaves it routing to a replica
/// (<see cref="RedisRouteRefresh"/>). The embedded store needs neither: its grains reach it in process.
/// </summary>
public sealed class RedisConnection : IAsyncDisposable
{
    public RedisConnection(IConfiguration configuration, ILogger<RedisConnection> logger)
    {
        var state = configuration.GetConnectionString("Redis") ?? throw new InvalidOperationException("ConnectionStrings:Redis is not set.");
        // With the store down, a grain's read or write fails at once (the app hears 1599) instead of queueing for the timeout.
        State = new RedisEndpoint(state, BacklogPolicy.FailFast, new RedisRouteRefresh("grain state", logger));
        // Membership is off the request path: a call made while the connection is still being made (a silo's or the
        // API's start under load) or is being made again waits for it, up to the timeout, rather than failing the start.
        Membership = new RedisEndpoint(configuration.GetConnectionString("Membership") is { Length: > 0 } membership ? membership : state,
            BacklogPolicy.Default, new RedisRouteRefresh("membership", logger));
    }

    /// <summary>The grain state's store.</summary>
    public RedisEndpoint State { get; }

    /// <summary>The membership table's store.</summary>
    public RedisEndpoint Membership { get; }

    public async ValueTask DisposeAsync()
    {
        await State.DisposeAsync();
        await Membership.DisposeAsync();
    }
}

/// <summary>One Redis (a primary, or a cluster through its seeds) and the multiplexer this process keeps to it.</summary>
public sealed class RedisEndpoint : IAsyncDisposable
{
    private readonly Lazy<Task<ConnectionMultiplexer>> _multiplexer;
    private readonly RedisRouteRefresh _routes;
    private readonly CancellationTokenSource _disposed = new();
    private readonly HashSet<RedisKey> _probedKeys = [];

    /// <summary>
    /// The multiplexer looks at a lost connection at each heartbeat, once a second; a little less than that, so that a
    /// heartbeat that runs late still makes its attempt.
    /// </summary>
    private const int ReconnectEveryMilliseconds = 900;

    public RedisEndpoint(string connectionString, BacklogPolicy backlog, RedisRouteRefresh routes)
    {
        Options = ConfigurationOptions.Parse(connectionString);
        Options.AbortOnConnectFail = false;
        Options.BacklogPolicy = backlog;
        // The library's default spaces its attempts out 2.5 s and more apart, up to 10 s as an outage goes on, so a store
        // that is back would go unused for that long, each process on its own schedule, and every regenerate meanwhile
        // be answered 1599. An attempt at each heartbeat costs the store one connection per process a second and brings
        // every process back within about a second of it. The same setting is how long a connect may take (TCP and TLS)
        // before it is started over, which a store in the silos' region does in a few milliseconds; each of its writes
        // is on a client's wait anyway.
        Options.ReconnectRetryPolicy = new LinearRetry(ReconnectEveryMilliseconds);
        _routes = routes;
        _multiplexer = new(async () =>
        {
            var multiplexer = await ConnectionMultiplexer.ConnectAsync(Options);
            routes.Watch(multiplexer);
            return multiplexer;
        });
    }

    public ConfigurationOptions Options { get; }

    public Task<ConnectionMultiplexer> GetAsync() => _multiplexer.Value;

    /// <summary>
    /// Keeps the route of <paramref name="key"/> on its primary for as long as this endpoint lives, for a key whose
    /// commands fail without a word to the multiplexer when its route goes stale (<see cref="RedisRouteRefresh.ProbeRouteAsync"/>).
    /// </summary>
    public void ProbeRouteOf(RedisKey key)
    {
        lock (_probedKeys)
        {
            if (!_probedKeys.Add(key))
            {
                return;
            }
        }
        _ = ProbeAsync(key);
    }

    private async Task ProbeAsync(RedisKey key)
    {
        try
        {
            await _routes.ProbeRouteAsync(await GetAsync(), key, _disposed.Token);
        }
        catch (OperationCanceledException)
        {
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _disposed.CancelAsync();
        if (_multiplexer.IsValueCreated && _multiplexer.Value.IsCompletedSuccessfully)
        {
            await _multiplexer.Value.Result.DisposeAsync();
        }
    }
}
