using System.Globalization;
using Sessions.Grains.StoreSweep;
using StackExchange.Redis;

namespace Sessions.Silo.Storage;

/// <summary>The embedded store's states for the store sweep: a <c>SCAN</c> and a read of each key, in process.</summary>
internal sealed class EmbeddedStoredStates(EmbeddedGarnet store, GrainStateKeys keys) : IStoredStates
{
    public Task<StoredStatesPage> ReadPageAsync(GrainType grainType, string stateName, string? cursor, int count)
    {
        var shape = keys.ShapeOf(grainType, stateName);
        var (next, found) = store.Sessions.Run((shape.Pattern, From: cursor is null ? 0 : long.Parse(cursor, CultureInfo.InvariantCulture), Count: count),
            static (session, scan) => session.Scan(scan.From, scan.Pattern, scan.Count));
        var states = new List<StoredState>(found.Count);
        foreach (var key in found)
        {
            if (shape.GrainKeyOf(key) is { } grainKey
                && store.Sessions.Run(key, static (session, key) => session.HashGet(key, "data"u8)) is { Length: > 0 } data)
            {
                states.Add(new(grainKey, data));
            }
        }
        return Task.FromResult(new StoredStatesPage(states, next == 0 ? null : next.ToString(CultureInfo.InvariantCulture)));
    }
}

/// <summary>
/// A Redis store's states for the store sweep: <c>SCAN</c> on each primary in turn (a Redis Cluster's keys are spread
/// over them; a replica holds only copies), and the states' reads pipelined. The cursor is the primary's place in the
/// list and its own cursor.
/// </summary>
internal sealed class RedisStoredStates(RedisConnection redis, GrainStateKeys keys) : IStoredStates
{
    private static readonly RedisValue DataField = "data";

    public async Task<StoredStatesPage> ReadPageAsync(GrainType grainType, string stateName, string? cursor, int count)
    {
        var multiplexer = await redis.State.GetAsync();
        var primaries = multiplexer.GetServers().Where(s => !s.IsReplica).OrderBy(s => s.EndPoint.ToString(), StringComparer.Ordinal).ToList();
        var (node, from) = cursor is null ? (0, "0") : (int.Parse(cursor[..cursor.IndexOf(':')], CultureInfo.InvariantCulture), cursor[(cursor.IndexOf(':') + 1)..]);
        if (node >= primaries.Count)
        {
            return new([], null);
        }
        var shape = keys.ShapeOf(grainType, stateName);
        var scan = (RedisResult[])(await primaries[node].ExecuteAsync("SCAN", from, "MATCH", shape.Pattern, "COUNT", count))!;
        var next = (string)scan[0]!;
        var found = (RedisKey[])scan[1]!;
        var database = multiplexer.GetDatabase();
        var data = await Task.WhenAll(found.Select(key => database.HashGetAsync(key, DataField)));
        var states = new List<StoredState>(found.Length);
        for (var i = 0; i < found.Length; i++)
        {
            if (shape.GrainKeyOf((byte[])found[i]!) is { } grainKey && (byte[]?)data[i] is { Length: > 0 } bytes)
            {
                states.Add(new(grainKey, bytes));
            }
        }
        var nextCursor = next != "0" ? $"{node}:{next}" : node + 1 < primaries.Count ? $"{node + 1}:0" : null;
        return new(states, nextCursor);
    }
}
