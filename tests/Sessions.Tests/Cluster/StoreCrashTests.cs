using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging.Abstractions;
using Sessions.Silo.Storage;
using Sessions.Tests.Infrastructure;
using Xunit.Abstractions;

namespace Sessions.Tests.Cluster;

/// <summary>
/// The store SIGKILLed under a running cluster (real silo processes, an API client) and started again from its
/// log: while it is gone every call answers 1599 with Retry-After (a regenerate after the API's retries, then, once
/// the outage has outlasted them, at once) and readiness fails; once it is back every device session regenerates with
/// the key it held before the crash, with no restart of silos or API, and within about a second of the store.
/// </summary>
public sealed class StoreCrashTests(ITestOutputHelper output)
{
    // Shorter than the outage: a rotation kept in memory though its write failed would make the held key a replay.
    private const string Grace = "2";

    [Fact]
    public async Task AStoreCrashAnswers1599AndEverySessionResumesWithItsKeyOnceTheStoreIsBack()
    {
        await using var store = new StoreProcess();
        await store.StartAsync();
        var settings = store.ClusterSettings("store-crash");
        settings["Sessions:Brands:DEMO:KeyReuseGraceSeconds"] = Grace;
        await using var cluster = await ProcessCluster.StartAsync(settings);
        await cluster.ExplainingFailureAsync(output, async () =>
        {
            var client = cluster.Client;
            var chains = await KeyChains.LogInAsync(client, 20);
            await chains.RegenerateAllAsync(client, Stopwatch.StartNew(), TimeSpan.FromSeconds(30));
            var held = chains.Keys.ToArray();

            using var retries = new HostCounter(cluster.ApiServices, "sessions.retries");
            using var answeredAtOnce = new HostCounter(cluster.ApiServices, "sessions.retries.skipped");
            await store.KillAsync();
            var outage = Stopwatch.StartNew();
            var firstRefusals = await RegenerateAllRefusedAsync(client, chains, "while the store is down");
            var (retriedAtFirst, answeredAtOnceAtFirst) = (retries.Total, answeredAtOnce.Total);
            // The first refusals were each tried again, in case the store only blinked: for a whole schedule, or until the
            // outage had outlasted one (a slow host can reach that before a late call's last try). The store has now failed
            // every call for longer than that: a refusal is answered at once, not held and tried four more times.
            var laterRefusals = await RegenerateAllRefusedAsync(client, chains, "once the outage outlasted the retries");
            var counted = $"{retriedAtFirst} retries and {answeredAtOnceAtFirst} answered at once in the first {chains.Count} "
                + $"refusals (in {firstRefusals.TotalSeconds:F2} s), {retries.Total - retriedAtFirst} and "
                + $"{answeredAtOnce.Total - answeredAtOnceAtFirst} in the next {chains.Count} (in {laterRefusals.TotalSeconds:F2} s)";
            Assert.True(retriedAtFirst >= chains.Count && retriedAtFirst <= 4 * chains.Count && answeredAtOnceAtFirst <= chains.Count, counted);
            Assert.True(retries.Total == retriedAtFirst && answeredAtOnce.Total - answeredAtOnceAtFirst == chains.Count, counted);
            Assert.Single(cluster.ApiLogEntries, e => e.EventId.Id == 2008);

            AssertUnavailable(await client.PostAsync("token/generate", TestDevice.NewMobile().Body()), "token/generate");
            var ready = await client.Http.GetAsync("/health/ready");
            Assert.Equal(HttpStatusCode.ServiceUnavailable, ready.StatusCode);
            Assert.Equal(held, chains.Keys);
            while (outage.Elapsed < TimeSpan.FromSeconds(int.Parse(Grace, System.Globalization.CultureInfo.InvariantCulture) + 2))
            {
                await Task.Delay(250);
            }

            await store.StartAsync();
            var sinceRestart = Stopwatch.StartNew();
            await chains.RegenerateAllAsync(client, sinceRestart, TimeSpan.FromSeconds(30));
            var regenerated = sinceRestart.Elapsed;
            // Each silo finds the store again on its own heartbeat: the API can see one silo back before the other, and the
            // other's failures as a second, short outage. What holds is that the last word on the store is that it is back.
            var outageEvents = cluster.ApiLogEntries.Where(e => e.EventId.Id is 2008 or 2009).Select(e => e.EventId.Id).ToArray();
            Assert.True(outageEvents.LastOrDefault() == 2009, $"the API's outage reports, oldest first: {string.Join(", ", outageEvents)}");
            while ((ready = await client.Http.GetAsync("/health/ready")).StatusCode != HttpStatusCode.OK)
            {
                Assert.True(sinceRestart.Elapsed < TimeSpan.FromSeconds(30), $"not ready 30 s after the store restarted: {await ready.Content.ReadAsStringAsync()}");
                await Task.Delay(250);
            }
            output.WriteLine($"{store.Kind} SIGKILLed for {outage.Elapsed.TotalSeconds:F1} s: {counted}; every chain regenerated with its "
                + $"held key {regenerated.TotalSeconds:F1} s after the store restarted, ready after {sinceRestart.Elapsed.TotalSeconds:F1} s");
        });
    }

    [Fact]
    public async Task AProcessThatLostItsStoreTriesToReachItAgainEverySecond()
    {
        // A port that takes each connection and closes it at once, as a store that is not back yet would refuse it: each
        // connection taken is one attempt of the process to reach its store.
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var attempts = 0;
        using var stop = new CancellationTokenSource();
        var counting = Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                using var attempt = await listener.AcceptTcpClientAsync(stop.Token);
                Interlocked.Increment(ref attempts);
            }
        });
        var configuration = new ConfigurationBuilder()
            .AddInMemoryCollection(new Dictionary<string, string?> { ["ConnectionStrings:Redis"] = $"127.0.0.1:{((IPEndPoint)listener.LocalEndpoint).Port}" })
            .Build();
        await using var process = new RedisConnection(configuration, NullLogger<RedisConnection>.Instance);
        try
        {
            await process.State.GetAsync();
            var (before, watched) = (Volatile.Read(ref attempts), Stopwatch.StartNew());
            await Task.Delay(TimeSpan.FromSeconds(20));
            var made = Volatile.Read(ref attempts) - before;
            output.WriteLine($"{made} attempts in {watched.Elapsed.TotalSeconds:F1} s to reach a store that is not back");
            // The multiplexer keeps two connections (commands and subscriptions) and looks at each once a second: 36 to
            // 40 attempts in twenty seconds on an idle host, and about half that while the other store tests load both
            // cores (4 in five seconds seen). The library's own schedule waits 2.5 s or more between two: 11 in twenty
            // seconds. At 14 or more, a process finds a store that is back within about a second or two.
            Assert.InRange(made, 14, 56);
        }
        finally
        {
            await stop.CancelAsync();
            listener.Stop();
            await counting.ContinueWith(_ => { }, TaskScheduler.Default);
        }
    }

    /// <summary>Regenerates every chain at once, each refused with 1599: how long the last refusal took.</summary>
    private static async Task<TimeSpan> RegenerateAllRefusedAsync(SessionsClient client, KeyChains chains, string when)
    {
        var sent = Stopwatch.StartNew();
        var answers = await Task.WhenAll(Enumerable.Range(0, chains.Count).Select(i => chains.RegenerateAsync(client, i)));
        var elapsed = sent.Elapsed;
        for (var i = 0; i < answers.Length; i++)
        {
            AssertUnavailable(answers[i], $"regenerate of chain {i} {when}");
        }
        return elapsed;
    }

    private static void AssertUnavailable(ApiResponse response, string what)
    {
        Assert.True(response.Status == HttpStatusCode.ServiceUnavailable && response.Code == 1599,
            $"{what} while the store is down: {(int)response.Status} {response.Body}");
        Assert.NotNull(response.Raw.Headers.RetryAfter);
    }
}
