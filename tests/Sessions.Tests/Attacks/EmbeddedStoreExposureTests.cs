using System.Globalization;
using Microsoft.Extensions.DependencyInjection;
using Sessions.Silo.Storage;
using Sessions.Tests.Infrastructure;
using StackExchange.Redis;

namespace Sessions.Tests.Attacks;

/// <summary>
/// The embedded store holds password hashes and every key family; a process on the same host must not read or rewrite
/// it (API.md §8). By default it listens on no port at all, and a port, when one is asked for, has a password.
/// </summary>
public sealed class EmbeddedStoreExposureTests
{
    [Fact]
    public async Task TheEmbeddedDefaultListensOnlyOnItsHttpAndSiloPorts()
    {
        await using var api = new ApiProcess([]);
        await api.StartAsync();
        await api.Client.LoginAsync(TestDevice.NewMobile());

        var ports = ListeningSockets.PortsOf(api.ProcessId);

        Assert.Equal(new[] { api.Port, api.SiloPort }.Order(), ports.Order());
    }

    [Fact]
    public async Task AStorePortAnswersOnlyWithItsPassword()
    {
        var port = FreePort.Next();
        const string password = "store-password-0123456789";
        await using var api = new ApiFactory(settings: new()
        {
            ["Sessions:Storage:EmbeddedPort"] = port.ToString(CultureInfo.InvariantCulture),
            ["Sessions:Storage:EmbeddedPassword"] = password,
        });
        await api.CreateSessionsClient().LoginAsync(TestDevice.NewMobile());

        await using var anonymous = await ConnectionMultiplexer.ConnectAsync($"127.0.0.1:{port},abortConnect=false,connectTimeout=2000");
        var refused = await Record.ExceptionAsync(() => anonymous.GetDatabase().ExecuteAsync("KEYS", "*"));
        await using var owner = await ConnectionMultiplexer.ConnectAsync($"127.0.0.1:{port},password={password}");
        var keys = await owner.GetDatabase().ExecuteAsync("KEYS", "*");

        Assert.NotNull(refused);
        Assert.NotEmpty((RedisResult[])keys!);
        Assert.Equal(port, api.Services.GetRequiredService<EmbeddedGarnet>().Port);
    }
}
