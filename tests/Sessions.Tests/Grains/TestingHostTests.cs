using System.Globalization;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Time.Testing;
using Orleans.TestingHost;
using Sessions.Grains;
using Sessions.Grains.Contracts;
using Sessions.Grains.Identity;
using Sessions.Silo.Hosting;
using Sessions.Tests.Infrastructure;

namespace Sessions.Tests.Grains;

/// <summary>
/// The README's recipe for engineers who test their own code against the session grains with Orleans.TestingHost: one
/// silo on the embedded store, a fake clock for the session rules, nothing installed. <see cref="StartAsync"/> is the
/// recipe as the README prints it.
/// </summary>
public sealed class TestingHostTests
{
    [Fact]
    public async Task AOneSiloTestClusterOnTheEmbeddedStoreKeepsItsKeysAcrossARestartAndExpiresThemOnTheFakeClock()
    {
        var dataDirectory = TempDirectory.Create("testing-host");
        var clock = new FakeTimeProvider(DateTimeOffset.Parse("2026-12-01T09:00:00Z", CultureInfo.InvariantCulture));
        var identifier = new Identifier("ACME", IdentifierType.EMAIL, "ada@example.com");
        var key = GrainKeys.DeviceSession(identifier, "phone-1");

        try
        {
            Grant regenerated;
            await using (var cluster = await StartAsync(dataDirectory, clock))
            {
                var login = await GrainLogins.LogInAsync(cluster.Client, key, identifier, SessionFlow.Login);
                regenerated = await cluster.Client.GetGrain<IDeviceSessionGrain>(key).RegenerateAsync(SessionFlow.Login, login.FamilyId, login.Key!.KeyId);
                Assert.Equal(AuthError.None, regenerated.Error);
                Assert.NotEqual(login.Key.KeyId, regenerated.Key!.KeyId);
            }

            await using (var cluster = await StartAsync(dataDirectory, clock))
            {
                var grain = cluster.Client.GetGrain<IDeviceSessionGrain>(key);
                var afterRestart = await grain.RegenerateAsync(SessionFlow.Login, regenerated.FamilyId, regenerated.Key!.KeyId);
                Assert.Equal(AuthError.None, afterRestart.Error);

                clock.Advance(TimeSpan.FromMinutes(61));
                var expired = await grain.RegenerateAsync(SessionFlow.Login, regenerated.FamilyId, afterRestart.Key!.KeyId);
                Assert.Equal(AuthError.InvalidKey, expired.Error);
            }
        }
        finally
        {
            // The store preallocates its log: its folder goes with the test, not with the run.
            TempDirectory.Delete(dataDirectory);
        }
    }

    [Fact]
    public void AnEmbeddedStoreOnAHostWhoseStorageIsRedisIsRefusedNamingTheSetting()
    {
        var host = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        host.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Sessions:Storage:Mode"] = "Redis",
            ["ConnectionStrings:Redis"] = "127.0.0.1:6379",
        });

        var refused = Assert.Throws<InvalidOperationException>(() => host.AddSessionsEmbeddedStore());

        Assert.Contains("Sessions:Storage:Mode is Redis", refused.Message);
        Assert.DoesNotContain(host.Services, d => d.ServiceType == typeof(Sessions.Silo.Storage.EmbeddedGarnet));
    }

    private static async Task<InProcessTestCluster> StartAsync(string dataDirectory, FakeTimeProvider clock)
    {
        var builder = new InProcessTestClusterBuilder(1);
        builder.Options.ServiceId = "sessions";
        builder.ConfigureSiloHost((_, host) =>
        {
            host.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
            {
                ["Sessions:Storage:Mode"] = "Embedded",
                ["Sessions:Storage:DataDirectory"] = dataDirectory,
                ["Sessions:Otp:Sender"] = "DevOutbox",
                ["Sessions:Brands:ACME:OrgId"] = "100458",
                ["Sessions:Brands:ACME:OrgUser"] = "acme.solution",
                ["Sessions:Brands:ACME:KeyExpiryMinutes"] = "60",
            });
            host.AddSessionsEmbeddedStore();
            host.Services.AddKeyedSingleton<TimeProvider>(ServiceKeys.Clock, clock);
        });
        builder.ConfigureSilo((_, silo) => silo.AddSessionsGrains());
        var cluster = builder.Build();
        await cluster.DeployAsync();
        return cluster;
    }
}
