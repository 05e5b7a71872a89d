using System.Diagnostics;
using System.Net;
using Sessions.Tests.Infrastructure;
using Xunit.Abstractions;

namespace Sessions.Tests.Cluster;

/// <summary>
/// The store SIGKILLed under a running cluster (real silo processes, an API client) and started again from its
/// log: while it is gone every call answers 1599 with Retry-After and readiness fails; once it is back every device
/// session regenerates with the key it held before the crash, with no restart of silos or API.
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

            await store.KillAsync();
            var outage = Stopwatch.StartNew();
            var answers = await Task.WhenAll(Enumerable.Range(0, chains.Count).Select(i => chains.RegenerateAsync(client, i)));
            for (var i = 0; i < answers.Length; i++)
            {
                AssertUnavailable(answers[i], $"regenerate of chain {i}");
            }
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
            while ((ready = await client.Http.GetAsync("/health/ready")).StatusCode != HttpStatusCode.OK)
            {
                Assert.True(sinceRestart.Elapsed < TimeSpan.FromSeconds(30), $"not ready 30 s after the store restarted: {await ready.Content.ReadAsStringAsync()}");
                await Task.Delay(250);
            }
            output.WriteLine($"{store.Kind} SIGKILLed for {outage.Elapsed.TotalSeconds:F1} s: every chain regenerated with its held key "
                + $"{regenerated.TotalSeconds:F1} s after the store restarted, ready after {sinceRestart.Elapsed.TotalSeconds:F1} s");
        });
    }

    private static void AssertUnavailable(ApiResponse response, string what)
    {
        Assert.True(response.Status == HttpStatusCode.ServiceUnavailable && response.Code == 1599,
            $"{what} while the store is down: {(int)response.Status} {response.Body}");
        Assert.NotNull(response.Raw.Headers.RetryAfter);
    }
}
