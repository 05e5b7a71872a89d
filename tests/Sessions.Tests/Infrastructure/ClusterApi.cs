using Microsoft.Extensions.DependencyInjection;

namespace Sessions.Tests.Infrastructure;

/// <summary>An API in Client mode on a cluster of silo processes, and what a test waits for on it.</summary>
public static class ClusterApi
{
    public static ApiFactory Start(Dictionary<string, string?> cluster) =>
        new(settings: new(cluster) { ["Sessions:Cluster:Mode"] = "Client" });

    /// <summary>Waits until the API's cluster client sees <paramref name="count"/> active silos.</summary>
    public static async Task WaitForActiveSilosAsync(ApiFactory api, int count)
    {
        var management = api.Services.GetRequiredService<IClusterClient>().GetGrain<IManagementGrain>(0);
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (true)
        {
            try
            {
                if ((await management.GetHosts(onlyActive: true)).Count == count)
                {
                    return;
                }
            }
            catch (Exception e) when (e is OrleansException or TimeoutException)
            {
            }
            Assert.True(DateTime.UtcNow < deadline, $"the cluster did not reach {count} active silos in 60 s");
            await Task.Delay(250);
        }
    }
}
