using Microsoft.Extensions.Configuration;
using StackExchange.Redis;

namespace Sessions.Silo.Storage;

/// <summary>
/// The one connection of this process to the Redis that <c>ConnectionStrings:Redis</c> names, shared by grain storage
/// and (in cluster modes) membership. The embedded store needs none: its grains reach it in process.
/// </summary>
public sealed class RedisConnection : IAsyncDisposable
{
    private readonly Lazy<Task<ConnectionMultiplexer>> _multiplexer;

    public RedisConnection(IConfiguration configuration)
    {
        Options = ConfigurationOptions.Parse(configuration.GetConnectionString("Redis")
            ?? throw new InvalidOperationException("ConnectionStrings:Redis is not set."));
        Options.AbortOnConnectFail = false;
        // With the store down, a command fails at once (the client hears 1599) instead of queueing for the timeout.
        Options.BacklogPolicy = BacklogPolicy.FailFast;
        _multiplexer = new(() => ConnectionMultiplexer.ConnectAsync(Options));
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
}
