using Microsoft.Extensions.Logging;
using Orleans.Storage;

namespace Sessions.Silo.Storage;

/// <summary>
/// After a Redis Cluster failover the client can keep sending a slot's commands to the old primary once it is back as
/// a replica: StackExchange.Redis moves a slot when a node answers MOVED, but a replica answers a script's write with
/// READONLY and <c>WAIT</c> with an error, never MOVED, so the slot map stays wrong until the client happens to read the
/// cluster's layout again. A write refused that way asks the multiplexer to read the layout now (at most once a second,
/// in the background); the refused write was not applied, and the client's retry goes to the new primary.
/// </summary>
public sealed partial class RedisRouteRefresh(RedisConnection redis, ILogger<RedisRouteRefresh> logger)
{
    private static readonly TimeSpan MinimumInterval = TimeSpan.FromSeconds(1);
    private long _lastStarted;
    private int _refreshing;

    /// <summary>Whether <paramref name="exception"/> says a command reached a replica: the slot map is stale.</summary>
    public static bool ReachedAReplica(Exception exception)
    {
        for (var e = exception; e is not null; e = e.InnerException)
        {
            if (e.Message.Contains("READONLY You can't write against a read only replica", StringComparison.Ordinal)
                || e.Message.Contains("cannot be used with replica instances", StringComparison.Ordinal))
            {
                return true;
            }
        }
        return false;
    }

    /// <summary>Starts a refresh of the slot map when <paramref name="exception"/> says it is stale.</summary>
    public void AfterFailure(Exception exception)
    {
        if (!ReachedAReplica(exception) || Environment.TickCount64 - Volatile.Read(ref _lastStarted) < MinimumInterval.TotalMilliseconds
            || Interlocked.Exchange(ref _refreshing, 1) == 1)
        {
            return;
        }
        Volatile.Write(ref _lastStarted, Environment.TickCount64);
        _ = RefreshAsync();
    }

    private async Task RefreshAsync()
    {
        try
        {
            LogRefreshing();
            var multiplexer = await redis.State.GetAsync();
            await multiplexer.ConfigureAsync();
        }
        catch (Exception e)
        {
            LogRefreshFailed(e);
        }
        finally
        {
            Volatile.Write(ref _refreshing, 0);
        }
    }

    [LoggerMessage(EventId = 2003, Level = LogLevel.Warning, Message = "A grain state write reached a replica: reading the Redis Cluster's layout again")]
    private partial void LogRefreshing();

    [LoggerMessage(EventId = 2004, Level = LogLevel.Warning, Message = "Reading the Redis Cluster's layout again failed; the next refused write retries")]
    private partial void LogRefreshFailed(Exception exception);
}

/// <summary>Grain storage that refreshes the client's slot map when a write or clear reached a replica (<see cref="RedisRouteRefresh"/>).</summary>
internal sealed class RouteRefreshingGrainStorage(IGrainStorage store, RedisRouteRefresh routes) : IGrainStorage
{
    public Task ReadStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState) => store.ReadStateAsync(stateName, grainId, grainState);

    public Task WriteStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState) =>
        RefreshingOnFailureAsync(() => store.WriteStateAsync(stateName, grainId, grainState));

    public Task ClearStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState) =>
        RefreshingOnFailureAsync(() => store.ClearStateAsync(stateName, grainId, grainState));

    private async Task RefreshingOnFailureAsync(Func<Task> change)
    {
        try
        {
            await change();
        }
        catch (Exception e)
        {
            routes.AfterFailure(e);
            throw;
        }
    }
}
