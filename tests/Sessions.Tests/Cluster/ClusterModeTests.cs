using Microsoft.Extensions.DependencyInjection;
using Sessions.Grains;
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
            // A sign-out is made by the customer's sign-outs grain on a silo, which calls the device sessions in turn.
            var others = await SessionsClient.Ok(viaClient.PostAsync("user/sessions/revokeOthers", device.Body(("token", next.Token))));
            var own = await SessionsClient.Ok(viaClient.PostAsync("user/sessions/revoke", device.Body(("token", next.Token), ("familyId", Jwt.Payload(next.Token!).GetProperty("sid").GetString()))));
            var afterwards = await viaClient.PostAsync("mfa/token/regenerate", device.Body(("key", next.Key)));

            Assert.Equal(first, retry);
            Assert.NotEqual(first, next.Key);
            Assert.Equal((0, 1), (others.Body.GetProperty("revoked").GetInt32(), own.Body.GetProperty("revoked").GetInt32()));
            Assert.Equal(1597, afterwards.Code);
            // Calls cross processes here: every host stamps its calls with their deadlines, and each silo drops late ones.
            Assert.All(cluster.HostServices, services => Assert.NotEmpty(DeadlineFilters<IOutgoingGrainCallFilter>(services)));
            Assert.All(cluster.HostServices.Take(2), services => Assert.NotEmpty(DeadlineFilters<IIncomingGrainCallFilter>(services)));
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

    [Fact]
    public async Task TheEmbeddedDefaultIsOneProcessAndItsCallsCarryNoDeadlines()
    {
        await using var embedded = new ApiFactory();
        var client = embedded.CreateSessionsClient();
        var device = TestDevice.NewMobile();

        var login = await client.MfaLoginAsync(device, device);
        var next = await SessionsClient.Ok(client.PostAsync("mfa/token/regenerate", device.Body(("key", login.Key))));

        Assert.NotEqual(login.Key, next.Key);
        Assert.Empty(DeadlineFilters<IOutgoingGrainCallFilter>(embedded.Services));
        Assert.Empty(DeadlineFilters<IIncomingGrainCallFilter>(embedded.Services));
    }

    private static IEnumerable<T> DeadlineFilters<T>(IServiceProvider services) =>
        services.GetServices<T>().Where(filter => filter!.GetType().DeclaringType == typeof(CallDeadlines));
}
