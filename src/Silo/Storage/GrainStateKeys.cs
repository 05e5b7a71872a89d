using System.Text;
using Orleans.Configuration;
using Microsoft.Extensions.Options;

namespace Sessions.Silo.Storage;

/// <summary>
/// The store key of a grain's state: <c>{ServiceId}/state/{grain type}/{grain key}/{state name}</c>, what Orleans' Redis
/// provider writes by default, made in one place for the provider, the embedded storage and the replica
/// acknowledgements (which must find the Redis Cluster node that owns the key). A grain key's parts are
/// percent-encoded (<see cref="Sessions.Grains.Identity.GrainKeys"/>), so no identifier can put a <c>{…}</c> hash tag in
/// a key and pin it to one Redis Cluster slot; the ServiceId is checked for braces at start-up.
/// </summary>
public sealed class GrainStateKeys(IOptions<ClusterOptions> cluster)
{
    private readonly byte[] _prefix = Encoding.UTF8.GetBytes($"{cluster.Value.ServiceId}/state/");

    public byte[] Of(string stateName, GrainId grainId)
    {
        var type = grainId.Type.AsSpan();
        var id = grainId.Key.AsSpan();
        var key = new byte[_prefix.Length + type.Length + 1 + id.Length + 1 + Encoding.UTF8.GetByteCount(stateName)];
        var rest = key.AsSpan();
        Append(ref rest, _prefix);
        Append(ref rest, type);
        Append(ref rest, "/"u8);
        Append(ref rest, id);
        Append(ref rest, "/"u8);
        Encoding.UTF8.GetBytes(stateName, rest);
        return key;

        static void Append(ref Span<byte> rest, ReadOnlySpan<byte> part)
        {
            part.CopyTo(rest);
            rest = rest[part.Length..];
        }
    }
}
