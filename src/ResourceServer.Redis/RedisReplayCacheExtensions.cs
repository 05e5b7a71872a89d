using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using StackExchange.Redis;

namespace Sessions.ResourceServer.Redis;

public static class RedisReplayCacheExtensions
{
    /// <summary>
    /// Remembers the DPoP proofs this resource server accepts in Redis, shared with its other processes, instead of in
    /// this process alone (<see cref="SessionsTokens.AddSessionsTokens"/>' default). Call it before or after that.
    /// </summary>
    /// <param name="services">The API's services.</param>
    /// <param name="configuration">A StackExchange.Redis configuration string: <c>redis:6379,password=…,ssl=true</c>.</param>
    /// <param name="keyPrefix">What every key starts with, so that several resource servers may share a store or keep apart.</param>
    /// <exception cref="ArgumentException">The configuration is empty or not a StackExchange.Redis configuration.</exception>
    public static IServiceCollection AddRedisDeviceProofReplayCache(this IServiceCollection services, string configuration,
        string keyPrefix = RedisDeviceProofReplayCache.DefaultKeyPrefix)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(configuration);
        var options = ConfigurationOptions.Parse(configuration);
        services.Replace(ServiceDescriptor.Singleton<IDeviceProofReplayCache>(_ => new RedisDeviceProofReplayCache(options, keyPrefix)));
        return services;
    }

    /// <summary>As the other overload, on the application's own connection.</summary>
    public static IServiceCollection AddRedisDeviceProofReplayCache(this IServiceCollection services, IConnectionMultiplexer redis,
        string keyPrefix = RedisDeviceProofReplayCache.DefaultKeyPrefix)
    {
        ArgumentNullException.ThrowIfNull(redis);
        services.Replace(ServiceDescriptor.Singleton<IDeviceProofReplayCache>(new RedisDeviceProofReplayCache(redis, keyPrefix)));
        return services;
    }
}
