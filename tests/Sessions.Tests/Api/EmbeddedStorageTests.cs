using System.Globalization;
using Sessions.Grains.Identity;
using Sessions.Tests.Infrastructure;
using StackExchange.Redis;

namespace Sessions.Tests.Api;

/// <summary>
/// The embedded default writes grain state straight into its in-process store, and what it writes is what Orleans'
/// Redis provider writes: a data directory moves between the two, either way, and every key held still regenerates.
/// </summary>
public sealed class EmbeddedStorageTests
{
    [Fact]
    public async Task KeysFromADataDirectoryWrittenOverRedisRegenerateOnTheEmbeddedStorageAndBack()
    {
        var dataDirectory = TempDirectory.Create("storage-compat");
        var device = TestDevice.NewMobile();

        var key = await OverRedisAsync(dataDirectory, async client => (await client.MfaLoginAsync(device, device)).Key!);
        await using (var embedded = new ApiFactory(dataDirectory))
        {
            var client = embedded.CreateSessionsClient();
            key = (await SessionsClient.Ok(client.PostAsync("mfa/token/regenerate", device.Body(("key", key))))).Key!;
            key = (await SessionsClient.Ok(client.PostAsync("mfa/token/regenerate", device.Body(("key", key))))).Key!;
        }
        var regeneratedOverRedis = await OverRedisAsync(dataDirectory, client => client.PostAsync("mfa/token/regenerate", device.Body(("key", key))));

        Assert.True(regeneratedOverRedis.Success, regeneratedOverRedis.Body.ToString());
        Assert.NotEqual(key, regeneratedOverRedis.Key);
    }

    [Fact]
    public async Task TheEmbeddedStorageKeepsADeviceSessionAsTheRedisProvidersHash()
    {
        var port = FreePort.Next();
        await using var api = new ApiFactory(settings: new() { ["Sessions:Storage:EmbeddedPort"] = port.ToString(CultureInfo.InvariantCulture) });
        var device = TestDevice.NewMobile();
        await api.CreateSessionsClient().MfaLoginAsync(device, device);

        await using var redis = await ConnectionMultiplexer.ConnectAsync($"127.0.0.1:{port}");
        var grainKey = GrainKeys.DeviceSession(new Identifier(device.Brand, IdentifierType.MOBILE, device.IdentifierValue), device.DeviceId!);
        var fields = (await redis.GetDatabase().HashGetAllAsync(TestStore.StateKey("sessions", "device-session", grainKey))).ToDictionary(e => (string)e.Name!, e => e.Value);

        Assert.Equal(["data", "etag"], fields.Keys.Order());
        Assert.Matches("^[0-9a-f]{32}$", (string)fields["etag"]!);
        Assert.True(((byte[])fields["data"]!).Length > 0);
    }

    /// <summary>The same API on the same data directory, its grain state in a Garnet it reaches over Redis (Orleans' provider).</summary>
    private static async Task<T> OverRedisAsync<T>(string dataDirectory, Func<SessionsClient, Task<T>> act)
    {
        using var store = TestStore.StartGarnet(dataDirectory);
        await using var api = new ApiFactory(dataDirectory, new()
        {
            ["Sessions:Storage:Mode"] = "Redis",
            ["ConnectionStrings:Redis"] = store.ConnectionString,
        });
        return await act(api.CreateSessionsClient());
    }
}
