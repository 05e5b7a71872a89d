using Sessions.Tests.Infrastructure;
using Xunit.Abstractions;

namespace Sessions.Tests.Cluster;

/// <summary>The cluster modes for real: silos that meet through Redis membership, and an API that joins them as a client.</summary>
public sealed class ClusterModeTests(ITestOutputHelper output)
{
    [Fact]
    public async Task AnApiClientAndTwoSilosShareOneClusterThroughRedis()
    {
        await using var cluster = new InProcessCluster(TestCluster.OnTestStore("modes"));
        try
        {
            var (first, retry, viaClient, device) = await cluster.LogInAndRegenerateOnBothSilosAsync();
            var next = await SessionsClient.Ok(viaClient.PostAsync("mfa/token/regenerate", device.Body(("key", first))));

            Assert.Equal(first, retry);
            Assert.NotEqual(first, next.Key);
        }
        catch
        {
            // What the three hosts said, for a failure that only a loaded run shows.
            foreach (var line in cluster.LastWarnings(40))
            {
                output.WriteLine(line);
            }
            throw;
        }
    }
}
