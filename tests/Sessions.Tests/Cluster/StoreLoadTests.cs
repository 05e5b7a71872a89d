using System.Diagnostics;
using Sessions.Tests.Infrastructure;
using StackExchange.Redis;
using Xunit.Abstractions;

namespace Sessions.Tests.Cluster;

/// <summary>
/// A store of its own process (<c>Sessions.Silo store</c>, or redis-server in the real-Redis run) under the writes of
/// as many connections as a dozen silos open, each write acknowledged only once it is in the log.
/// </summary>
public sealed class StoreLoadTests(ITestOutputHelper output)
{
    [Fact]
    public async Task EveryWriteOfManyConcurrentlyWritingConnectionsIsAnsweredWithinTheClientsTimeout()
    {
        const int connections = 24, writersPerConnection = 4;
        await using var store = new StoreProcess();
        await store.StartAsync();
        // The client's default timeout (5 s): a store that stalls its writers makes them fail as a silo's would.
        var clients = await Task.WhenAll(Enumerable.Range(0, connections).Select(_ => ConnectionMultiplexer.ConnectAsync(store.ConnectionString)));
        try
        {
            var writing = Stopwatch.StartNew();
            var written = await Task.WhenAll(clients.SelectMany((client, c) => Enumerable.Range(0, writersPerConnection).Select(w => WriteForAsync(client.GetDatabase(), $"load/{c}/{w}", writing))));

            output.WriteLine($"{store.Kind}: {connections} connections × {writersPerConnection} writers, {written.Sum(r => r.Writes)} writes in 3 s, slowest {written.Max(r => r.Slowest).TotalMilliseconds:F0} ms");
            Assert.All(written, result => Assert.True(result.Writes >= 10, $"a writer completed only {result.Writes} writes in 3 s (slowest {result.Slowest.TotalMilliseconds:F0} ms)"));
        }
        finally
        {
            foreach (var client in clients)
            {
                await client.DisposeAsync();
            }
        }
    }

    private static async Task<(int Writes, TimeSpan Slowest)> WriteForAsync(IDatabase database, string key, Stopwatch writing)
    {
        var writes = 0;
        var slowest = TimeSpan.Zero;
        while (writing.Elapsed < TimeSpan.FromSeconds(3))
        {
            var started = writing.Elapsed;
            await database.HashSetAsync(key, "data", writes);
            slowest = TimeSpan.FromTicks(Math.Max(slowest.Ticks, (writing.Elapsed - started).Ticks));
            writes++;
        }
        Assert.Equal(writes - 1, (int)await database.HashGetAsync(key, "data"));
        return (writes, slowest);
    }
}
