using Orleans.Storage;

namespace Sessions.Silo.Storage;

/// <summary>
/// Grain storage whose writes and clears complete only once the required replicas hold them
/// (<see cref="ReplicaAcknowledgements"/>); reads pass through. A write that is refused may still be on the primary: the
/// activation is dropped (the grain's write rule), and the client's retry within the grace is answered from what the
/// store holds then, after a write of its own that waits for the replicas again.
/// </summary>
internal sealed class ReplicaAcknowledgedGrainStorage(IGrainStorage store, ReplicaAcknowledgements replicas, GrainStateKeys keys) : IGrainStorage
{
    public Task ReadStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState) => store.ReadStateAsync(stateName, grainId, grainState);

    public async Task WriteStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState)
    {
        await store.WriteStateAsync(stateName, grainId, grainState);
        await replicas.WaitAsync(keys.Of(stateName, grainId));
    }

    public async Task ClearStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState)
    {
        await store.ClearStateAsync(stateName, grainId, grainState);
        await replicas.WaitAsync(keys.Of(stateName, grainId));
    }
}
