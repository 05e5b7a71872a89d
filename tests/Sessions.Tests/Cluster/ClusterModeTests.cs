using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Sessions.Tests.Infrastructure;
using Xunit.Abstractions;

namespace Sessions.Tests.Cluster;

/// <summary>The cluster modes for real: silos that meet through Redis membership, and an API that joins them as a client.</summary>
public sealed class ClusterModeTests(ITestOutputHelper output)
{
    [Fact]
    public async Task AnApiClientAndTwoSilosShareOneClusterThroughRedis()
    {
        var cluster = TestCluster.OnTestStore("modes");
        var logs = new CapturedLogs();
        await using var silo1 = new ApiFactory(settings: TestCluster.Node(cluster, "Silo"), services: s => s.AddSingleton<ILoggerProvider>(logs));
        await using var silo2 = new ApiFactory(settings: TestCluster.Node(cluster, "Silo"), services: s => s.AddSingleton<ILoggerProvider>(logs));
        await using var client = new ApiFactory(settings: TestCluster.Node(cluster, "Client"), services: s => s.AddSingleton<ILoggerProvider>(logs));
        try
        {
            var viaSilo1 = silo1.CreateSessionsClient();
            var viaSilo2 = silo2.CreateSessionsClient();
            var viaClient = client.CreateSessionsClient();
            var device = TestDevice.NewMobile();

            var login = await viaClient.MfaLoginAsync(device, device);
            var first = await SessionsClient.Ok(viaSilo1.PostAsync("mfa/token/regenerate", device.Body(("key", login.Key))));
            var retry = await SessionsClient.Ok(viaSilo2.PostAsync("mfa/token/regenerate", device.Body(("key", login.Key))));
            var next = await SessionsClient.Ok(viaClient.PostAsync("mfa/token/regenerate", device.Body(("key", first.Key))));

            Assert.Equal(first.Key, retry.Key);
            Assert.NotEqual(first.Key, next.Key);
        }
        catch
        {
            // What the three hosts said, for a failure that only a loaded run shows.
            foreach (var entry in logs.Entries.Where(e => e.Level >= LogLevel.Warning).TakeLast(40))
            {
                output.WriteLine($"{entry.Level} {entry.Category}: {entry.Message} {entry.Exception}");
            }
            throw;
        }
    }
}
