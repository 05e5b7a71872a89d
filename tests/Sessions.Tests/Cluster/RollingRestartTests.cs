using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using Sessions.Tests.Infrastructure;
using Xunit.Abstractions;

namespace Sessions.Tests.Cluster;

/// <summary>
/// A deployment as an operator rolls it: each silo in turn stopped gracefully (SIGTERM) and started again, under a
/// steady stream of rotating regenerates. The client sees no failed request and every key chain stays intact.
/// </summary>
public sealed class RollingRestartTests(ITestOutputHelper output)
{
    private const int Chains = 24;
    private const int InFlight = 6;

    [Fact]
    public async Task ARollingRestartUnderSteadyRegeneratesFailsNoRequest()
    {
        await using var cluster = await ProcessCluster.StartAsync(TestCluster.OnTestStore("rolling"));
        await cluster.ExplainingFailureAsync(output, async () =>
        {
            var client = cluster.Client;
            var chains = await KeyChains.LogInAsync(client, Chains);

            using var stop = new CancellationTokenSource();
            var failures = new ConcurrentQueue<string>();
            var requests = 0;
            var workers = Enumerable.Range(0, InFlight).Select(worker => Task.Run(async () =>
            {
                while (!stop.IsCancellationRequested)
                {
                    for (var i = worker; i < Chains; i += InFlight)
                    {
                        var response = await chains.RegenerateAsync(client, i);
                        Interlocked.Increment(ref requests);
                        if (response.Status != HttpStatusCode.OK || !response.Success)
                        {
                            failures.Enqueue($"chain {i}: {(int)response.Status} {response.Body}");
                        }
                    }
                }
            })).ToArray();

            var restart = Stopwatch.StartNew();
            for (var n = 0; n < cluster.SiloCount; n++)
            {
                await Task.Delay(TimeSpan.FromSeconds(1));
                await cluster.StopAsync(n);
                await cluster.ReplaceAsync(n);
                await cluster.WaitForActiveSilosAsync();
            }
            await Task.Delay(TimeSpan.FromSeconds(1));
            await stop.CancelAsync();
            await Task.WhenAll(workers);
            output.WriteLine($"{requests} regenerates in {restart.Elapsed.TotalSeconds:F1} s while both silos restarted; {failures.Count} failed");

            Assert.Empty(failures);
            Assert.True(requests > 100, $"only {requests} requests ran during the restart");
            for (var i = 0; i < Chains; i++)
            {
                Assert.True((await chains.RegenerateAsync(client, i)).Success, $"chain {i} broke");
            }
        });
    }
}
