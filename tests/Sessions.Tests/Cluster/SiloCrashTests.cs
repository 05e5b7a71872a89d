using System.Net;
using Sessions.Tests.Infrastructure;

namespace Sessions.Tests.Cluster;

/// <summary>
/// Two silo processes and an API client on one Redis: a silo killed with SIGKILL, restarted, and then the whole
/// cluster replaced. Through all of it every device session keeps regenerating with the last key it was given.
/// </summary>
public sealed class SiloCrashTests
{
    [Fact]
    public async Task KeysSurviveASigkilledSiloAndAWholeClusterRestart()
    {
        var cluster = TestCluster.OnTestStore("crash");
        var silo1 = SiloProcess.Start(cluster);
        var silo2 = SiloProcess.Start(cluster);
        await using var api = new ApiFactory(settings: new(cluster) { ["Sessions:Cluster:Mode"] = "Client" });
        var client = api.CreateSessionsClient();
        try
        {
            var devices = Enumerable.Range(0, 8).Select(_ => TestDevice.NewMobile()).ToArray();
            var keys = new string[devices.Length];
            for (var i = 0; i < devices.Length; i++)
            {
                keys[i] = (await client.MfaLoginAsync(devices[i], devices[i])).Key!;
            }
            await RegenerateAllAsync(client, devices, keys);

            silo2.Kill();
            await RegenerateAllAsync(client, devices, keys);
            silo2 = SiloProcess.Start(cluster);
            await RegenerateAllAsync(client, devices, keys);

            await Task.WhenAll(silo1.StopAsync(), silo2.StopAsync());
            await silo1.DisposeAsync();
            await silo2.DisposeAsync();
            silo1 = SiloProcess.Start(cluster);
            silo2 = SiloProcess.Start(cluster);
            await RegenerateAllAsync(client, devices, keys);
        }
        finally
        {
            await silo1.DisposeAsync();
            await silo2.DisposeAsync();
        }
    }

    /// <summary>One rotation per device; a 503 while the cluster heals is retried with the same key.</summary>
    private static async Task RegenerateAllAsync(SessionsClient client, TestDevice[] devices, string[] keys)
    {
        for (var i = 0; i < devices.Length; i++)
        {
            var response = await RetryingAsync(() => client.PostAsync("mfa/token/regenerate", devices[i].Body(("key", keys[i]))));
            Assert.True(response.Success, $"device {i}: {response.Body}");
            keys[i] = response.Key!;
        }
    }

    private static async Task<ApiResponse> RetryingAsync(Func<Task<ApiResponse>> call)
    {
        var deadline = DateTime.UtcNow.AddSeconds(120);
        while (true)
        {
            var response = await call();
            if (response.Status != HttpStatusCode.ServiceUnavailable || DateTime.UtcNow > deadline)
            {
                return response;
            }
            await Task.Delay(250);
        }
    }
}
