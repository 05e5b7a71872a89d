using System.Buffers;
using System.Text;
using Orleans.Serialization;
using Orleans.Serialization.Serializers;
using Orleans.Storage;

namespace Sessions.Silo.Storage;

/// <summary>
/// Grain storage of the embedded default, where the store runs in this process: each read and write is a call into
/// Garnet's store on the grain's own thread, with no Redis connection, loopback socket, thread hop or Lua script in
/// between. What it stores is exactly what Orleans' Redis provider stores (a hash with fields <c>etag</c> and
/// <c>data</c> under <c>{ServiceId}/state/{grain id}/{state name}</c>, the state in the Orleans serializer's bytes), so
/// a data directory reads the same either way and <c>redis-cli</c> shows the same keys. A write compares the ETag the
/// grain holds with the stored one, as the provider's script does: another writer's version is a conflict.
/// </summary>
internal sealed class EmbeddedGrainStorage(EmbeddedGarnet store, Serializer serializer, IActivatorProvider activators, GrainStateKeys keys)
    : IGrainStorage
{
    private static readonly byte[] EtagField = "etag"u8.ToArray();
    private static readonly byte[] DataField = "data"u8.ToArray();

    // The ETag comparison and the write are one step for every writer in this process: writes of one key take the
    // same stripe. A grain's own writes never overlap, so a stripe is contended only by chance or by the conflict.
    private readonly Lock[] _stripes = [.. Enumerable.Range(0, 64).Select(_ => new Lock())];

    [ThreadStatic]
    private static ArrayBufferWriter<byte>? t_payload;

    public Task ReadStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState)
    {
        var fields = store.Sessions.Run(Key(stateName, grainId), static (session, key) => session.HashGetAll(key));
        var etag = fields.Find(f => f.Field.AsSpan().SequenceEqual(EtagField)).Value;
        var data = fields.Find(f => f.Field.AsSpan().SequenceEqual(DataField)).Value;
        grainState.ETag = etag is null ? null : Encoding.UTF8.GetString(etag);
        grainState.RecordExists = etag is not null && data is { Length: > 0 };
        grainState.State = grainState.RecordExists ? serializer.Deserialize<T>(data) : activators.GetActivator<T>().Create();
        return Task.CompletedTask;
    }

    public Task WriteStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState)
    {
        var payload = t_payload ??= new ArrayBufferWriter<byte>(1024);
        payload.ResetWrittenCount();
        serializer.Serialize(grainState.State, payload);
        var etag = NewEtag();
        IfUnchanged(stateName, grainId, grainState, (Etag: Encoding.ASCII.GetBytes(etag), Payload: payload), static (session, key, write) =>
            session.HashSet(key, EtagField, write.Etag, DataField, write.Payload.WrittenSpan));
        grainState.ETag = etag;
        grainState.RecordExists = true;
        return Task.CompletedTask;
    }

    public Task ClearStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState)
    {
        IfUnchanged(stateName, grainId, grainState, 0, static (session, key, _) => session.Delete(key));
        grainState.ETag = null;
        grainState.State = activators.GetActivator<T>().Create();
        grainState.RecordExists = false;
        return Task.CompletedTask;
    }

    /// <summary>Makes <paramref name="change"/> if the stored ETag is still the one the grain holds; otherwise a version conflict.</summary>
    private void IfUnchanged<T, TArgument>(string stateName, GrainId grainId, IGrainState<T> grainState, TArgument argument, Action<StoreSession, byte[], TArgument> change)
    {
        var expected = grainState.ETag ?? "";
        string? conflict;
        lock (_stripes[(uint)grainId.GetUniformHashCode() % (uint)_stripes.Length])
        {
            conflict = store.Sessions.Run((Key: Key(stateName, grainId), Expected: expected, Argument: argument, Change: change), static (session, write) =>
            {
                var stored = session.HashGet(write.Key, EtagField) is { } bytes ? Encoding.UTF8.GetString(bytes) : "";
                if (stored != write.Expected)
                {
                    return stored;
                }
                write.Change(session, write.Key, write.Argument);
                return null;
            });
        }
        if (conflict is not null)
        {
            throw new InconsistentStateException($"Version conflict: GrainId={grainId} State={stateName} ETag={grainState.ETag}.", conflict, expected);
        }
    }

    /// <summary>A fresh version: 128 random bits in hex, the shape of the Redis provider's (it uses a GUID without the syscall behind one).</summary>
    private static string NewEtag()
    {
        Span<byte> bits = stackalloc byte[16];
        Random.Shared.NextBytes(bits);
        return Convert.ToHexStringLower(bits);
    }

    private byte[] Key(string stateName, GrainId grainId) => keys.Of(stateName, grainId);
}
