using Sessions.Tests.Infrastructure;

namespace Sessions.Tests.Cluster;

/// <summary>The cluster modes for real: silos that meet through Redis membership, and an API that joins them as a client.</summary>
public sealed class ClusterModeTests
{
    [Fact]
    public async Task AnApiClientAndTwoSilosShareOneClusterThroughRedis()
    {
        var cluster = TestCluster.OnTestStore("modes");
        await using var silo1 = new ApiFactory(settings: TestCluster.Node(cluster, "Silo"));
        await using var silo2 = new ApiFactory(settings: TestCluster.Node(cluster, "Silo"));
        await using var client = new ApiFactory(settings: TestCluster.Node(cluster, "Client"));
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
}
