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

    /// <summary>The state keys of every grain of <paramref name="grainType"/>: how to find them and read their grain keys.</summary>
    public StateKeyShape ShapeOf(GrainType grainType, string stateName) =>
        new([.. _prefix, .. grainType.AsSpan(), .. "/"u8], Encoding.UTF8.GetBytes("/" + stateName));

    /// <summary>Glob characters taken literally: a ServiceId may hold them.</summary>
    internal static byte[] Escaped(ReadOnlySpan<byte> literal)
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

/// <summary>The state keys of one grain type and state name: <c>{head}{grain key}{suffix}</c>.</summary>
public sealed class StateKeyShape(byte[] head, byte[] suffix)
{
    /// <summary>A <c>SCAN … MATCH</c> pattern for every such key.</summary>
    public byte[] Pattern { get; } = [.. GrainStateKeys.Escaped(head), .. "*"u8, .. GrainStateKeys.Escaped(suffix)];

    /// <summary>The grain key in a key that <see cref="Pattern"/> matched; null for a key of another shape.</summary>
    public string? GrainKeyOf(ReadOnlySpan<byte> storeKey) =>
        storeKey.Length > head.Length + suffix.Length && storeKey.StartsWith(head) && storeKey.EndsWith(suffix)
            ? Encoding.UTF8.GetString(storeKey[head.Length..^suffix.Length])
            : null;
}
