using System.Diagnostics;
using System.Net;
using Sessions.Tests.Infrastructure;
using Xunit.Abstractions;

namespace Sessions.Tests.Cluster;

/// <summary>
/// The store SIGKILLed under a running cluster (real silo processes, an API client) and started again from its
/// log: while it is gone every call answers 1599 with Retry-After (a regenerate after the API's retries, then, once
/// the outage has outlasted them, at once) and readiness fails; once it is back every device session regenerates with
/// the key it held before the crash, with no restart of silos or API.
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
            Assert.Single(cluster.ApiLogEntries, e => e.EventId.Id == 2009);
            while ((ready = await client.Http.GetAsync("/health/ready")).StatusCode != HttpStatusCode.OK)
            {
                Assert.True(sinceRestart.Elapsed < TimeSpan.FromSeconds(30), $"not ready 30 s after the store restarted: {await ready.Content.ReadAsStringAsync()}");
                await Task.Delay(250);
            }
            output.WriteLine($"{store.Kind} SIGKILLed for {outage.Elapsed.TotalSeconds:F1} s: {counted}; every chain regenerated with its "
                + $"held key {regenerated.TotalSeconds:F1} s after the store restarted, ready after {sinceRestart.Elapsed.TotalSeconds:F1} s");
        });
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
