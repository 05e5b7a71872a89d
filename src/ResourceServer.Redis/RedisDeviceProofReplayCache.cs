using StackExchange.Redis;

namespace Sessions.ResourceServer.Redis;

/// <summary>
/// The DPoP proofs accepted by every process of a resource server, in one Redis (or Redis Cluster): each proof is one
/// key, set only if absent (<c>SET … NX PX</c>), so of the processes a copied proof reaches, only the first accepts it.
/// The key expires when the proof could no longer be recent.
/// </summary>
public sealed class RedisDeviceProofReplayCache : IDeviceProofReplayCache, IAsyncDisposable
{
    /// <summary>What every key starts with, unless another prefix is given.</summary>
    public const string DefaultKeyPrefix = "sessions:dpop:";

    private readonly Lazy<Task<IConnectionMultiplexer>> _redis;
    private readonly bool _ownsConnection;
    private readonly string _keyPrefix;

    /// <summary>On a connection the application already has, which it keeps and disposes.</summary>
    public RedisDeviceProofReplayCache(IConnectionMultiplexer redis, string keyPrefix = DefaultKeyPrefix)
    {
        ArgumentNullException.ThrowIfNull(redis);
        _redis = new(Task.FromResult(redis));
        _keyPrefix = keyPrefix;
    }

    /// <summary>
    /// On a connection of its own, made on first use so that the resource server may start before the store, and
    /// disposed with this cache. While the store is unreachable a call fails at once, so its proof is refused (503)
    /// rather than held; the connection comes back by itself.
    /// </summary>
    public RedisDeviceProofReplayCache(ConfigurationOptions options, string keyPrefix = DefaultKeyPrefix)
    {
        ArgumentNullException.ThrowIfNull(options);
        var own = options.Clone();
        own.AbortOnConnectFail = false;
        own.BacklogPolicy = BacklogPolicy.FailFast;
        _redis = new(async () => await ConnectionMultiplexer.ConnectAsync(own));
        _ownsConnection = true;
        _keyPrefix = keyPrefix;
    }

    public async ValueTask<bool> TryAddAsync(string proofId, TimeSpan lifetime, CancellationToken cancellationToken)
    {
        var redis = await _redis.Value.WaitAsync(cancellationToken);
        return await redis.GetDatabase().StringSetAsync(_keyPrefix + proofId, 1, lifetime, When.NotExists).WaitAsync(cancellationToken);
    }

    public async ValueTask DisposeAsync()
    {
        if (_ownsConnection && _redis.IsValueCreated)
        {
            await (await _redis.Value).DisposeAsync();
        }
    }
}
