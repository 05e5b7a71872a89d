using Garnet.server;
using Orleans.Persistence.Redis;
using Tsavorite.core;

namespace Sessions.Silo.Storage;

/// <summary>
/// The hash commands the grain storage needs, on one Garnet session inside the store's process: Tsavorite operations
/// on the caller's thread, with no RESP connection in between. Garnet copies every value a session reads into that
/// session's scratch buffer and frees it only with the session, so a session is spent after a bounded number of
/// bytes read and replaced (<see cref="LocalSessions"/>).
/// </summary>
internal sealed unsafe class StoreSession(LocalServerSession garnet) : IDisposable
{
    private const int ReadBytesPerSession = 256 * 1024;

    private int _bytesRead;

    public bool IsSpent => _bytesRead >= ReadBytesPerSession;

    /// <summary><c>HGET</c>: the field's value, or null if the key or the field does not exist.</summary>
    public byte[]? HashGet(ReadOnlySpan<byte> key, ReadOnlySpan<byte> field)
    {
        fixed (byte* keyBytes = key)
        fixed (byte* fieldBytes = field)
        {
            var status = garnet.BasicGarnetApi.HashGet(Pinned(keyBytes, key), Pinned(fieldBytes, field), out var value);
            if (status == GarnetStatus.NOTFOUND || !value.IsValid)
            {
                return null;
            }
            Check(status);
            _bytesRead += value.Length;
            return value.ToArray();
        }
    }

    /// <summary><c>HGETALL</c>: every field and its value; none if the key does not exist.</summary>
    public List<(byte[] Field, byte[] Value)> HashGetAll(ReadOnlySpan<byte> key)
    {
        fixed (byte* keyBytes = key)
        {
            var status = garnet.BasicGarnetApi.HashGetAll(Pinned(keyBytes, key), out var items);
            if (status == GarnetStatus.NOTFOUND || items is null)
            {
                return [];
            }
            Check(status);
            var fields = new List<(byte[], byte[])>(items.Length / 2);
            for (var i = 0; i + 1 < items.Length; i += 2)
            {
                _bytesRead += items[i].Length + items[i + 1].Length;
                fields.Add((items[i].ToArray(), items[i + 1].ToArray()));
            }
            return fields;
        }
    }

    /// <summary><c>HSET key field1 value1 field2 value2</c>, as one change of the hash.</summary>
    public void HashSet(ReadOnlySpan<byte> key, ReadOnlySpan<byte> field1, ReadOnlySpan<byte> value1, ReadOnlySpan<byte> field2, ReadOnlySpan<byte> value2)
    {
        fixed (byte* keyBytes = key)
        fixed (byte* field1Bytes = field1)
        fixed (byte* value1Bytes = value1)
        fixed (byte* field2Bytes = field2)
        fixed (byte* value2Bytes = value2)
        {
            Check(garnet.BasicGarnetApi.HashSet(Pinned(keyBytes, key),
                [(Pinned(field1Bytes, field1), Pinned(value1Bytes, value1)), (Pinned(field2Bytes, field2), Pinned(value2Bytes, value2))], out _));
        }
    }

    /// <summary><c>HSET key field value</c>.</summary>
    public void HashSet(ReadOnlySpan<byte> key, ReadOnlySpan<byte> field, ReadOnlySpan<byte> value)
    {
        fixed (byte* keyBytes = key)
        fixed (byte* fieldBytes = field)
        fixed (byte* valueBytes = value)
        {
            Check(garnet.BasicGarnetApi.HashSet(Pinned(keyBytes, key), Pinned(fieldBytes, field), Pinned(valueBytes, value), out _));
        }
    }

    /// <summary><c>HDEL key field</c>: whether the field existed.</summary>
    public bool HashDelete(ReadOnlySpan<byte> key, ReadOnlySpan<byte> field)
    {
        fixed (byte* keyBytes = key)
        fixed (byte* fieldBytes = field)
        {
            var status = garnet.BasicGarnetApi.HashDelete(Pinned(keyBytes, key), Pinned(fieldBytes, field), out var deleted);
            if (status == GarnetStatus.NOTFOUND)
            {
                return false;
            }
            Check(status);
            return deleted > 0;
        }
    }

    /// <summary><c>DEL</c>.</summary>
    public void Delete(ReadOnlySpan<byte> key)
    {
        fixed (byte* keyBytes = key)
        {
            var status = garnet.BasicGarnetApi.DELETE(Pinned(keyBytes, key));
            if (status != GarnetStatus.NOTFOUND)
            {
                Check(status);
            }
        }
    }

    public void Dispose() => garnet.Dispose();

    private static PinnedSpanByte Pinned(byte* pointer, ReadOnlySpan<byte> span) => PinnedSpanByte.FromPinnedPointer(pointer, span.Length);

    private static void Check(GarnetStatus status)
    {
        if (status != GarnetStatus.OK)
        {
            throw new RedisStorageException($"The embedded store answered {status}.");
        }
    }
}
