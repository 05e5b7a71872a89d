namespace Sessions.Silo.Storage;

/// <summary>What readiness asks of the grain state's store: one round trip, however this process reaches it.</summary>
public interface IStoreProbe
{
    /// <summary>A short description of the round trip; throws when the store does not answer.</summary>
    Task<string> ProbeAsync(CancellationToken cancellationToken);
}

/// <summary>The embedded store, read in process.</summary>
internal sealed class EmbeddedStoreProbe(EmbeddedGarnet store) : IStoreProbe
{
    public Task<string> ProbeAsync(CancellationToken cancellationToken)
    {
        store.Probe();
        return Task.FromResult("in process");
    }
}

/// <summary>The Redis of <c>ConnectionStrings:Redis</c>, pinged.</summary>
public sealed class RedisStoreProbe(RedisConnection redis) : IStoreProbe
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(3);

    public async Task<string> ProbeAsync(CancellationToken cancellationToken)
    {
        var multiplexer = await redis.State.GetAsync().WaitAsync(Timeout, cancellationToken);
        var latency = await multiplexer.GetDatabase().PingAsync().WaitAsync(Timeout, cancellationToken);
        return $"round trip {latency.TotalMilliseconds:F1} ms";
    }
}
