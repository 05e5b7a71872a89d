using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Sessions.Silo.Hosting;
using Sessions.Silo.Storage;

namespace Sessions.Silo;

/// <summary>
/// A silo process of a cluster (Sessions:Cluster:Mode=Silo). The API co-hosts the same silo in the embedded default.
/// <c>Sessions.Silo store</c> instead runs only the embedded store on Sessions:Storage:EmbeddedPort, as a stand-in
/// for redis-server on machines without one (scripts/cluster.sh uses it).
/// </summary>
internal static class SiloProgram
{
    public static void Main(string[] args)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings
        {
            Args = args.Where(a => a != "store").ToArray(),
            EnvironmentName = EnvironmentName(),
        });
        // Longer than the silo's own shutdown (deactivations, membership update); compose waits longer still.
        builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = TimeSpan.FromSeconds(30));
        builder.Logging.AddFilter("Orleans", LogLevel.Warning);
        if (!builder.Environment.IsDevelopment())
        {
            builder.Logging.AddJsonConsole(o => (o.IncludeScopes, o.UseUtcTimestamp) = (true, true));
        }
        if (args.Contains("store"))
        {
            builder.Services.AddSingleton<Microsoft.Extensions.Options.IValidateOptions<StorageOptions>, StorageOptionsValidator>();
            builder.Services.AddOptions<StorageOptions>().BindConfiguration(StorageOptions.SectionName)
                .Validate(o => o.EmbeddedPort is not null, "Sessions:Storage:EmbeddedPort must be set for 'store': the silos reach the store on it.")
                .ValidateOnStart();
            builder.Services.AddSingleton<EmbeddedGarnet>();
            builder.Services.AddHostedService<EmbeddedStoreLifetime>();
        }
        else
        {
            builder.AddSessionsSilo();
        }
        builder.Build().Run();
    }

    /// <summary>
    /// The silo reads its environment like the API: <c>DOTNET_ENVIRONMENT</c>, else <c>ASPNETCORE_ENVIRONMENT</c>, so
    /// one environment block serves both processes (null leaves the host's default, Production, or --environment).
    /// </summary>
    private static string? EnvironmentName() =>
        Environment.GetEnvironmentVariable("DOTNET_ENVIRONMENT") is { Length: > 0 } ? null
        : Environment.GetEnvironmentVariable("ASPNETCORE_ENVIRONMENT") is { Length: > 0 } aspNetCore ? aspNetCore
        : null;
}
