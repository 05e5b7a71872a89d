using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging;
using StackExchange.Redis;

namespace Sessions.Silo.Storage;

/// <summary>
/// This process's connections to Redis: one to the grain state's store (<c>ConnectionStrings:Redis</c>: a primary, or a
/// Redis Cluster's seeds) and one for cluster membership (<c>ConnectionStrings:Membership</c>, else the same store).
/// They are separate multiplexers, so a write waiting for its replicas (<see cref="ReplicaAcknowledgements"/>) never
/// holds up a silo's I-am-alive; each reads the cluster's layout again when a failover leaves it routing to a replica
/// (<see cref="RedisRouteRefresh"/>). The embedded store needs neither: its grains reach it in process.
/// </summary>
public sealed class RedisConnection : IAsyncDisposable
{
    public RedisConnection(IConfiguration configuration, ILogger<RedisConnection> logger)
    {
        var state = configuration.GetConnectionString("Redis") ?? throw new InvalidOperationException("ConnectionStrings:Redis is not set.");
        State = new RedisEndpoint(state, new RedisRouteRefresh("grain state", logger));
        Membership = new RedisEndpoint(configuration.GetConnectionString("Membership") is { Length: > 0 } membership ? membership : state,
            new RedisRouteRefresh("membership", logger));
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

    public RedisEndpoint(string connectionString, RedisRouteRefresh routes)
    {
        Options = ConfigurationOptions.Parse(connectionString);
        Options.AbortOnConnectFail = false;
        // With the store down, a command fails at once (the client hears 1599) instead of queueing for the timeout.
        Options.BacklogPolicy = BacklogPolicy.FailFast;
        _multiplexer = new(async () =>
        {
            var multiplexer = await ConnectionMultiplexer.ConnectAsync(Options);
            routes.Watch(multiplexer);
            return multiplexer;
        });
    }

    public ConfigurationOptions Options { get; }

    public Task<ConnectionMultiplexer> GetAsync() => _multiplexer.Value;

    public async ValueTask DisposeAsync()
    {
        if (_multiplexer.IsValueCreated && _multiplexer.Value.IsCompletedSuccessfully)
        {
            await _multiplexer.Value.Result.DisposeAsync();
        }
    }
}
