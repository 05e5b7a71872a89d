using Orleans.Clustering.Redis;
using Orleans.Persistence.Redis;
using StackExchange.Redis;

namespace Sessions.Api.Envelope;

/// <summary>
/// Failures of the store or the cluster, as opposed to bugs: a silo that went away, a grain that was deactivating,
/// an ETag conflict, a store that does not answer, a call that expired before Orleans could place its grain (an
/// <see cref="OperationCanceledException"/>: the API passes grain calls no token, so the runtime cancelled it). The
/// client is told to retry (1599, 503, Retry-After).
/// </summary>
public static class TransientFailures
{
    public static bool IsTransient(Exception exception) => exception is
        OrleansException or TimeoutException or OperationCanceledException or RedisException or RedisStorageException or RedisClusteringException;
}
