using Orleans.Clustering.Redis;
using Orleans.Persistence.Redis;
using Orleans.Serialization;
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

    /// <summary>
    /// Whether the grain state's store failed the call, as opposed to the cluster: the storage bridge and a failed
    /// activation wrap the store's error in an <see cref="OrleansException"/>, and a silo in another process sends a
    /// Redis client error the API cannot rebuild as <see cref="UnavailableExceptionFallbackException"/> with its type's name.
    /// </summary>
    public static bool IsStoreFailure(Exception exception)
    {
        for (Exception? e = exception; e is not null; e = e.InnerException)
        {
            if (e is RedisException or RedisTimeoutException or RedisStorageException
                || e is UnavailableExceptionFallbackException { ExceptionType: { } type } && type.StartsWith("StackExchange.Redis.", StringComparison.Ordinal))
            {
                return true;
            }
        }
        return false;
    }
}
