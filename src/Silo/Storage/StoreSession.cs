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

    /// <summary><c>ZRANGE key 0 -1</c>: every member, in the set's order; none if the key does not exist.</summary>
    public List<byte[]> SortedSetMembers(ReadOnlySpan<byte> key)
    {
        fixed (byte* keyBytes = key)
        fixed (byte* first = "0"u8)
        fixed (byte* last = "-1"u8)
        {
            var status = garnet.BasicGarnetApi.SortedSetRange(Pinned(keyBytes, key), PinnedSpanByte.FromPinnedPointer(first, 1),
                PinnedSpanByte.FromPinnedPointer(last, 2), SortedSetOrderOperation.ByRank, out var elements, out var error);
            if (status == GarnetStatus.NOTFOUND || elements is null)
            {
                return [];
            }
            if (error is not null)
            {
                throw new RedisStorageException($"The embedded store answered {error}.");
            }
            Check(status);
            var members = new List<byte[]>(elements.Length);
            foreach (var element in elements)
            {
                _bytesRead += element.Length;
                members.Add(element.ToArray());
            }
            return members;
        }
    }

    /// <summary><c>ZADD key 0 member</c>: members of one score, ordered as bytes.</summary>
    public void SortedSetAdd(ReadOnlySpan<byte> key, ReadOnlySpan<byte> member)
    {
        fixed (byte* keyBytes = key)
        fixed (byte* score = "0"u8)
        fixed (byte* memberBytes = member)
        {
            Check(garnet.BasicGarnetApi.SortedSetAdd(Pinned(keyBytes, key), PinnedSpanByte.FromPinnedPointer(score, 1), Pinned(memberBytes, member), out _));
        }
    }

    /// <summary><c>ZREM key member</c>: whether it was there.</summary>
    public bool SortedSetRemove(ReadOnlySpan<byte> key, ReadOnlySpan<byte> member)
    {
        fixed (byte* keyBytes = key)
        fixed (byte* memberBytes = member)
        {
            var status = garnet.BasicGarnetApi.SortedSetRemove(Pinned(keyBytes, key), Pinned(memberBytes, member), out var removed);
            if (status == GarnetStatus.NOTFOUND)
            {
                return false;
            }
            Check(status);
            return removed > 0;
        }
    }

    /// <summary><c>SCAN cursor MATCH pattern COUNT count</c>: some of the keys that match, and the cursor to go on from (0 when done).</summary>
    public (long Cursor, List<byte[]> Keys) Scan(long cursor, ReadOnlySpan<byte> pattern, long count)
    {
        fixed (byte* patternBytes = pattern)
        {
            garnet.BasicGarnetApi.DbScan(Pinned(patternBytes, pattern), allKeys: false, cursor, out var next, out var keys, count);
            foreach (var key in keys)
            {
                _bytesRead += key.Length;
            }
            return (next, keys);
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
