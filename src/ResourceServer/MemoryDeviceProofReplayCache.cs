using Microsoft.Extensions.Caching.Memory;

namespace Sessions.ResourceServer;

/// <summary>The default <see cref="IDeviceProofReplayCache"/>: the proofs this process accepted, in its memory cache.</summary>
public sealed class MemoryDeviceProofReplayCache(IMemoryCache seenProofs) : IDeviceProofReplayCache
{
    private readonly Lock _gate = new();

    public ValueTask<bool> TryAddAsync(string proofId, TimeSpan lifetime, CancellationToken cancellationToken)
    {
        // The lock makes the look-up and the add one step, so racing twins of one proof cannot both be first.
        lock (_gate)
        {
            if (seenProofs.TryGetValue(proofId, out _))
            {
                return ValueTask.FromResult(false);
            }
            seenProofs.Set(proofId, true, lifetime);
            return ValueTask.FromResult(true);
        }
    }
}
