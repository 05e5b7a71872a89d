using System.Security.Cryptography;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Orleans;
using Orleans.Runtime;
using Sessions.Grains.Contracts;
using Sessions.Grains.Identity;
using Sessions.Silo.Hosting;
using StackExchange.Redis;

namespace Sessions.Bench;

internal sealed record MemoryFigures(int Activations, double BytesPerGrain, double BytesPerStoredSession, double StoredValueBytes);

/// <summary>
/// Memory per active device-session grain: a silo in this process (its heap is what is measured) on a store in
/// another process (so the store's memory is not), with 100,000 device sessions opened, each holding a login session.
/// Memory per stored session: what the store reports for those keys.
/// </summary>
internal static class MemoryProbe
{
    public static async Task<MemoryFigures> RunAsync(string siloDll, string workDirectory, int activations)
    {
        var storePort = FreePort.Next();
        await using var store = await ServerProcess.StartAsync(siloDll, ["store"], new Dictionary<string, string>
        {
            ["Sessions__Storage__EmbeddedPort"] = storePort.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["Sessions__Storage__DataDirectory"] = Path.Combine(workDirectory, "memory-store"),
            ["DOTNET_ENVIRONMENT"] = "Development",
        }, Path.Combine(workDirectory, "memory-store.log"), storePort, readyPath: null);

        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { EnvironmentName = Environments.Development });
        builder.Logging.ClearProviders();
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Sessions:Storage:Mode"] = "Redis",
            ["ConnectionStrings:Redis"] = $"127.0.0.1:{storePort}",
            ["Sessions:Cluster:SiloPort"] = FreePort.Next().ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["Sessions:Cluster:GatewayPort"] = "0",
            ["Sessions:Otp:Sender"] = "DevOutbox",
            ["Sessions:Otp:HashKey"] = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)),
            ["Sessions:Brands:BENCH:OrgId"] = "1",
            ["Sessions:Brands:BENCH:OrgUser"] = "bench",
            ["Sessions:Brands:BENCH:SigningKeys:0:Id"] = "bench-1",
            ["Sessions:Brands:BENCH:SigningKeys:0:Secret"] = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)),
            ["Sessions:Storage:DataDirectory"] = workDirectory,
        });
        builder.AddSessionsSilo();
        using var host = builder.Build();
        await host.StartAsync();
        var grains = host.Services.GetRequiredService<IGrainFactory>();
        await OpenAsync(grains, "warm", 2_000);
        var before = HeapAfterFullCollection();
        await OpenAsync(grains, "probe", activations);
        var after = HeapAfterFullCollection();
        var counted = await grains.GetGrain<IManagementGrain>(0).GetTotalActivationCount();

        await using var redis = await ConnectionMultiplexer.ConnectAsync($"127.0.0.1:{storePort}");
        var database = redis.GetDatabase();
        double usage = 0, values = 0;
        const int samples = 200;
        for (var i = 0; i < samples; i++)
        {
            var key = $"sessions/state/device-session/{GrainKeys.DeviceSession(IdentifierOf("probe", i), $"probe-{i}")}/device-session";
            usage += (long)await database.ExecuteAsync("MEMORY", "USAGE", key);
            values += key.Length + (await database.HashGetAllAsync(key)).Sum(e => e.Name.ToString().Length + ((byte[])e.Value!).Length);
        }

        await host.StopAsync();
        return new MemoryFigures((int)Math.Min(counted, activations), (after - before) / (double)activations, usage / samples, values / samples);
    }

    private static async Task OpenAsync(IGrainFactory grains, string prefix, int count)
    {
        const int batch = 512;
        for (var start = 0; start < count; start += batch)
        {
            await Task.WhenAll(Enumerable.Range(start, Math.Min(batch, count - start)).Select(async i =>
            {
                var opened = await grains.GetGrain<IDeviceSessionGrain>(GrainKeys.DeviceSession(IdentifierOf(prefix, i), $"{prefix}-{i}")).OpenLoginSessionAsync(Channel.Mobile, null);
                if (opened.Error != Sessions.Grains.AuthError.None)
                {
                    throw new InvalidOperationException($"opening device session {i} failed with {opened.Error}");
                }
            }));
        }
    }

    /// <summary>
    /// A phone number per group of 20 device sessions (the brand's MaxOpenLogins); each prefix has numbers of its own.
    /// Their identifier grains are active too: about one per 20 device sessions in the heap figure.
    /// </summary>
    private static Identifier IdentifierOf(string prefix, int session) =>
        new("BENCH", IdentifierType.MOBILE, ((prefix == "warm" ? 19980000000L : 19990000000L) + session / 20).ToString(System.Globalization.CultureInfo.InvariantCulture));

    private static long HeapAfterFullCollection()
    {
        for (var i = 0; i < 3; i++)
        {
            GC.Collect(GC.MaxGeneration, GCCollectionMode.Forced, blocking: true, compacting: true);
            GC.WaitForPendingFinalizers();
        }
        return GC.GetTotalMemory(forceFullCollection: true);
    }
}
