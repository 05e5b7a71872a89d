using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Sessions.Silo.Hosting;
using StackExchange.Redis;

namespace Sessions.Silo.Storage;

/// <summary>
/// The one Redis connection of this process, shared by grain storage and (in cluster modes) membership, pointed at
/// the embedded store or at <c>ConnectionStrings:Redis</c>.
/// </summary>
public sealed class RedisConnection : IAsyncDisposable
{
    private readonly Lazy<Task<ConnectionMultiplexer>> _multiplexer;
    private readonly EmbeddedGarnet? _embedded;

    public RedisConnection(IOptions<StorageOptions> storage, IOptions<SessionsClusterOptions> cluster, IConfiguration configuration, IServiceProvider services)
    {
        // An API in Client mode hosts no store; its connection is the cluster's Redis (for health checks).
        if (storage.Value.Mode == StorageMode.Embedded && cluster.Value.Mode != ClusterMode.Client)
        {
            _embedded = services.GetRequiredService<EmbeddedGarnet>();
            Options = ConfigurationOptions.Parse(_embedded.ConnectionString);
        }
        else
        {
            Options = ConfigurationOptions.Parse(configuration.GetConnectionString("Redis")!);
        }

        Options.AbortOnConnectFail = false;
        // With the store down, a command fails at once (the client hears 1599) instead of queueing for the timeout.
        Options.BacklogPolicy = BacklogPolicy.FailFast;
        _multiplexer = new(ConnectAsync);
    }

    public ConfigurationOptions Options { get; }

    public Task<ConnectionMultiplexer> GetAsync() => _multiplexer.Value;

    public async ValueTask DisposeAsync()
    {
        if (_multiplexer.IsValueCreated && _multiplexer.Value.IsCompletedSuccessfully)
        {
            await _multiplexer.Value.Result.DisposeAsync();
        }
    }

    private Task<ConnectionMultiplexer> ConnectAsync()
    {
        _embedded?.EnsureStarted();
        return ConnectionMultiplexer.ConnectAsync(Options);
    }
}
