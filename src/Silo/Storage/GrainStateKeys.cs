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

    /// <summary>A <c>SCAN … MATCH</c> pattern for the state keys of every grain of <paramref name="grainType"/>.</summary>
    public byte[] PatternOf(GrainType grainType, string stateName) =>
        [.. Escaped(_prefix), .. Escaped(grainType.AsSpan()), .. "/*/"u8, .. Escaped(Encoding.UTF8.GetBytes(stateName))];

    /// <summary>The grain key in a state key that <see cref="PatternOf"/> matched; null for a key of another shape.</summary>
    public string? GrainKeyOf(ReadOnlySpan<byte> storeKey, GrainType grainType, string stateName)
    {
        var type = grainType.AsSpan();
        var suffix = Encoding.UTF8.GetBytes("/" + stateName);
        var head = _prefix.Length + type.Length + 1;
        if (storeKey.Length <= head + suffix.Length || !storeKey.StartsWith(_prefix) || !storeKey[_prefix.Length..].StartsWith(type)
            || storeKey[head - 1] != (byte)'/' || !storeKey.EndsWith(suffix))
        {
            return null;
        }
        return Encoding.UTF8.GetString(storeKey[head..^suffix.Length]);
    }

    /// <summary>Glob characters taken literally: a ServiceId may hold them.</summary>
    private static byte[] Escaped(ReadOnlySpan<byte> literal)
    {
        var escaped = new List<byte>(literal.Length);
        foreach (var b in literal)
        {
            if (b is (byte)'*' or (byte)'?' or (byte)'[' or (byte)']' or (byte)'\\')
            {
                escaped.Add((byte)'\\');
            }
            escaped.Add(b);
        }
        return [.. escaped];
    }
}
