using Microsoft.Extensions.Logging;
using StackExchange.Redis;

namespace Sessions.Silo.Storage;

/// <summary>
/// After a failover the client can keep sending a slot's commands to the old primary once it is back as a replica:
/// StackExchange.Redis moves a slot when a node answers MOVED, but a replica answers a script's write with READONLY
/// (grain state and membership writes are scripts) and <c>WAIT</c> with an error, never MOVED, so the slot map stays
/// wrong until the client happens to read the layout again. An error reply that says a command reached a replica has
/// the multiplexer read the layout now (at most once a second, off the connection's reader); the refused command was
/// not applied, and the caller's retry goes to the new primary.
/// </summary>
public sealed partial class RedisRouteRefresh(string store, ILogger logger)
{
    private static readonly TimeSpan MinimumInterval = TimeSpan.FromSeconds(1);
    private long _lastStarted = long.MinValue / 2;
    private int _refreshing;

    /// <summary>Whether a server's error reply says the command reached a replica: the client's map of primaries is stale.</summary>
    public static bool SaysReplica(string error) =>
        error.Contains("READONLY You can't write against a read only replica", StringComparison.Ordinal)
        || error.Contains("cannot be used with replica instances", StringComparison.Ordinal);

    /// <summary>Refreshes <paramref name="multiplexer"/>'s layout whenever one of its servers answers that it is a replica.</summary>
    public void Watch(ConnectionMultiplexer multiplexer) =>
        multiplexer.ErrorMessage += (_, e) =>
        {
            if (SaysReplica(e.Message))
            {
                RefreshSoon(multiplexer, e.EndPoint);
            }
        };

    private void RefreshSoon(ConnectionMultiplexer multiplexer, System.Net.EndPoint endPoint)
    {
        var now = Environment.TickCount64;
        if (now - Volatile.Read(ref _lastStarted) < MinimumInterval.TotalMilliseconds || Interlocked.Exchange(ref _refreshing, 1) == 1)
        {
            return;
        }
        Volatile.Write(ref _lastStarted, now);
        LogRefreshing(store, endPoint.ToString() ?? "");
        _ = Task.Run(async () =>
        {
            try
            {
                await multiplexer.ConfigureAsync();
            }
            catch (Exception e)
            {
                LogRefreshFailed(e, store);
            }
            finally
            {
                Volatile.Write(ref _refreshing, 0);
            }
        });
    }

    [LoggerMessage(EventId = 2003, Level = LogLevel.Warning, Message = "A command to the {Store} store reached {EndPoint}, now a replica: reading the Redis layout again")]
    private partial void LogRefreshing(string store, string endPoint);

    [LoggerMessage(EventId = 2004, Level = LogLevel.Warning, Message = "Reading the {Store} store's Redis layout again failed; the next command refused by a replica retries")]
    private partial void LogRefreshFailed(Exception exception, string store);
}
