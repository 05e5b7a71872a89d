using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using Sessions.Grains;
using Sessions.Silo.Storage;

namespace Sessions.Tests.Infrastructure;

/// <summary>
/// The real API in its embedded default: co-hosted silo, in-process Garnet with data in <see cref="DataDirectory"/>,
/// DevOutbox delivery, the test brands and a fake clock for the session rules.
/// </summary>
public sealed class ApiFactory(
    string? dataDirectory = null,
    Dictionary<string, string?>? settings = null,
    string environment = "Development",
    Action<IServiceCollection>? services = null,
    DateTimeOffset? clockStart = null) : WebApplicationFactory<Program>
{
    private readonly bool _ownsDataDirectory = dataDirectory is null;

    public string DataDirectory { get; } = dataDirectory ?? TempDirectory.Create("api");

    public FakeTimeProvider Clock { get; } = new(clockStart ?? DateTimeOffset.UtcNow);

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseEnvironment(environment);
        foreach (var (key, value) in TestBrands.Configuration())
        {
            builder.UseSetting(key, value);
        }
        builder.UseSetting("Sessions:Storage:Mode", "Embedded");
        builder.UseSetting("Sessions:Storage:DataDirectory", DataDirectory);
        builder.UseSetting("Sessions:Cluster:SiloPort", FreePort.Next().ToString(System.Globalization.CultureInfo.InvariantCulture));
        builder.UseSetting("Sessions:Cluster:GatewayPort", FreePort.Next().ToString(System.Globalization.CultureInfo.InvariantCulture));
        foreach (var (key, value) in settings ?? [])
        {
            builder.UseSetting(key, value);
        }
        builder.ConfigureTestServices(testServices =>
        {
            testServices.AddKeyedSingleton<TimeProvider>(ServiceKeys.Clock, Clock);
            services?.Invoke(testServices);
        });
    }

    public SessionsClient CreateSessionsClient() => new(CreateClient());

    /// <summary>
    /// A client, and <paramref name="customers"/> new phones it logged in with the primary key each was given; then the
    /// embedded store goes away, as in an outage.
    /// </summary>
    public async Task<(SessionsClient Client, List<(TestDevice Phone, string Key)> Customers)> StopStoreAfterLoginsAsync(int customers)
    {
        var client = CreateSessionsClient();
        var loggedIn = new List<(TestDevice Phone, string Key)>();
        for (var i = 0; i < customers; i++)
        {
            var phone = TestDevice.NewMobile();
            loggedIn.Add((phone, (await client.LoginAsync(phone)).Key!));
        }
        Services.GetRequiredService<EmbeddedGarnet>().Dispose();
        return (client, loggedIn);
    }

    public override async ValueTask DisposeAsync()
    {
        await base.DisposeAsync();
        if (_ownsDataDirectory)
        {
            TempDirectory.Delete(DataDirectory);
        }
    }
}

/// <summary>One API host shared by the tests of a collection; tests use fresh identifiers and devices.</summary>
public sealed class ApiFixture : IAsyncLifetime
{
    public ApiFactory Factory { get; } = new();

    public SessionsClient Client { get; private set; } = null!;

    public Task InitializeAsync()
    {
        Client = Factory.CreateSessionsClient();
        return Task.CompletedTask;
    }

    public async Task DisposeAsync() => await Factory.DisposeAsync();
}

[CollectionDefinition(Name)]
public sealed class ApiCollection : ICollectionFixture<ApiFixture>
{
    public const string Name = "api";
}
