using Microsoft.Extensions.Logging;
using StackExchange.Redis;

namespace Sessions.Silo.Storage;

/// <summary>
/// After a failover the client can keep routing a slot's commands to the old primary once it is back as a replica.
/// StackExchange.Redis moves a slot when a node answers MOVED, but a replica answers a script's write with READONLY
/// (grain state and membership rows are written by scripts) and <c>WAIT</c> with an error, never MOVED. Once the
/// client's periodic check notices the node's new role it refuses to send it primary-only commands at all, still
/// without moving the slot. Either way the slot map stays wrong until something reads the layout again: this does,
/// when a server answers that it is a replica, when the client reports a node's configuration changed, or when a probed
/// key's route leads to a replica (<see cref="ProbeRouteAsync"/>); at most once a second, off the connection's reader.
/// A refused command was not applied; the caller's retry goes to the new primary.
/// </summary>
public sealed partial class RedisRouteRefresh(string store, ILogger logger)
{
    private static readonly TimeSpan MinimumInterval = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan ProbeInterval = TimeSpan.FromSeconds(1);
    private long _lastStarted = long.MinValue / 2; // never: the first sign refreshes at once
    private int _refreshing;

    /// <summary>Whether a server's error reply says the command reached a replica: the client's map of primaries is stale.</summary>
    private static bool SaysReplica(string error) =>
        error.Contains("READONLY You can't write against a read only replica", StringComparison.Ordinal)
        || error.Contains("cannot be used with replica instances", StringComparison.Ordinal);

    /// <summary>Reads <paramref name="multiplexer"/>'s layout again whenever its view of a node goes stale.</summary>
    public void Watch(ConnectionMultiplexer multiplexer)
    {
        multiplexer.ErrorMessage += (_, e) =>
        {
            if (SaysReplica(e.Message))
            {
                RefreshSoon(multiplexer, e.EndPoint?.ToString(), "answered as a replica");
            }
        };
        multiplexer.ConfigurationChanged += (_, e) => RefreshSoon(multiplexer, e.EndPoint?.ToString(), "changed its configuration");
    }

    /// <summary>
    /// Checks once a second, until <paramref name="stop"/>, that commands meant for <paramref name="key"/>'s primary go
    /// to a primary, and reads the layout again when they do not. Orleans' membership calls need this: the client
    /// refuses them itself ("Command cannot be issued to a replica") once it knows the old primary's new role, which
    /// raises no event, and the table's reads and writes would fail until something else moved the slot.
    /// </summary>
    public async Task ProbeRouteAsync(ConnectionMultiplexer multiplexer, RedisKey key, CancellationToken stop)
    {
        using var ticks = new PeriodicTimer(ProbeInterval);
        var database = multiplexer.GetDatabase();
        while (await ticks.WaitForNextTickAsync(stop))
        {
            try
            {
                // EXISTS takes the route a primary-only command on the key would take, and says which node answered.
                if (await database.IdentifyEndpointAsync(key, CommandFlags.DemandMaster) is { } endPoint && multiplexer.GetServer(endPoint).IsReplica)
                {
                    RefreshSoon(multiplexer, endPoint.ToString(), "serves a primary's slot as a replica");
                }
            }
            catch (RedisConnectionException e) when (e.InnerException is RedisCommandException refused
                && refused.Message.Contains("cannot be issued to a replica", StringComparison.Ordinal))
            {
                RefreshSoon(multiplexer, $"serving {key}", "is known to be a replica but still routed to");
            }
            catch (Exception e) when (e is RedisException or TimeoutException or ObjectDisposedException)
            {
                // The store is unreachable: the multiplexer reconnects on its own, and the next tick looks again.
            }
        }
    }

    private void RefreshSoon(ConnectionMultiplexer multiplexer, string? node, string what)
    {
        var now = Environment.TickCount64;
        if (now - Volatile.Read(ref _lastStarted) < MinimumInterval.TotalMilliseconds || Interlocked.Exchange(ref _refreshing, 1) == 1)
        {
            return;
        }
        Volatile.Write(ref _lastStarted, now);
        LogRefreshing(store, node ?? "a node", what);
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

    // The placeholder keeps its first name (EndPoint), which log queries of operators may use.
    [LoggerMessage(EventId = 2003, Level = LogLevel.Warning, Message = "Redis node {EndPoint} of the {Store} store {What}: reading the layout again")]
    private partial void LogRefreshing(string store, string endPoint, string what);

    [LoggerMessage(EventId = 2004, Level = LogLevel.Warning, Message = "Reading the {Store} store's Redis layout again failed; the next sign of a stale route retries")]
    private partial void LogRefreshFailed(Exception exception, string store);
}
