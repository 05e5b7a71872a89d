using Orleans.Clustering.Redis;
using Orleans.Persistence.Redis;
using StackExchange.Redis;

namespace Sessions.Api.Envelope;

/// <summary>
/// Failures of the store or the cluster, as opposed to bugs: a silo that went away, a grain that was deactivating,
/// an ETag conflict, a store that does not answer. The client is told to retry (1599, 503, Retry-After).
/// </summary>
public static class TransientFailures
{
    public static bool IsTransient(Exception exception) => exception is
        OrleansException or TimeoutException or RedisException or RedisStorageException or RedisClusteringException;
}
