using System.Globalization;
using System.Text;
using Microsoft.Extensions.Options;
using Orleans.Configuration;

namespace Sessions.Silo.Storage;

/// <summary>
/// Orleans' reminder table in the embedded store, for the embedded default (one process, no store port): one hash,
/// <c>{ServiceId}/embedded-reminders</c>, with a field per reminder (<c>{grain id}\n{name}</c>) whose value is its ETag,
/// start and period. The store's log holds a change before the reminder service sees it succeed (with
/// <see cref="AofGroupCommit"/>, the default), so a reminder outlives a crash of the process. Reading a range reads the
/// whole hash: it holds only the reminders grains keep while they wait for something (a few per customer at most).
/// </summary>
internal sealed class EmbeddedReminderTable(EmbeddedGarnet store, IOptions<ClusterOptions> cluster, AofGroupCommit? commit = null) : IReminderTable
{
    private readonly byte[] _key = Encoding.UTF8.GetBytes($"{cluster.Value.ServiceId}/embedded-reminders");

    // A removal compares the stored ETag and deletes as one step, for every caller in this process.
    private readonly Lock _gate = new();

    public Task Init() => Task.CompletedTask;

    public Task<ReminderEntry?> ReadRow(GrainId grainId, string reminderName)
    {
        var value = store.Sessions.Run((Key: _key, Field: Field(grainId, reminderName)), static (session, row) => session.HashGet(row.Key, row.Field));
        return Task.FromResult(value is null ? null : Entry(grainId, reminderName, value));
    }

    public Task<ReminderTableData> ReadRows(GrainId grainId) => Task.FromResult(new ReminderTableData(ReadAll().Where(e => e.GrainId == grainId)));

    public Task<ReminderTableData> ReadRows(uint begin, uint end) => Task.FromResult(new ReminderTableData(ReadAll().Where(e =>
    {
        var hash = e.GrainId.GetUniformHashCode();
        return begin < end ? hash > begin && hash <= end : hash > begin || hash <= end;
    })));

    public async Task<string?> UpsertRow(ReminderEntry entry)
    {
        var etag = Guid.NewGuid().ToString("N");
        var value = Encoding.UTF8.GetBytes(string.Create(CultureInfo.InvariantCulture, $"{etag}\n{entry.StartAt.ToUniversalTime().Ticks}\n{entry.Period.Ticks}"));
        lock (_gate)
        {
            store.Sessions.Run((Key: _key, Field: Field(entry.GrainId, entry.ReminderName), Value: value), static (session, row) =>
            {
                session.HashSet(row.Key, row.Field, row.Value);
                return 0;
            });
        }
        await Committed();
        return etag;
    }

    public async Task<bool> RemoveRow(GrainId grainId, string reminderName, string eTag)
    {
        bool removed;
        lock (_gate)
        {
            removed = store.Sessions.Run((Key: _key, Field: Field(grainId, reminderName), ETag: eTag), static (session, row) =>
                session.HashGet(row.Key, row.Field) is { } value && ETagOf(value) == row.ETag && session.HashDelete(row.Key, row.Field));
        }
        if (removed)
        {
            await Committed();
        }
        return removed;
    }

    public async Task TestOnlyClearTable()
    {
        store.Sessions.Run(_key, static (session, key) =>
        {
            session.Delete(key);
            return 0;
        });
        await Committed();
    }

    private Task Committed() => commit?.WaitForCommitAsync() ?? Task.CompletedTask;

    private List<ReminderEntry> ReadAll() =>
        [.. store.Sessions.Run(_key, static (session, key) => session.HashGetAll(key)).Select(row =>
        {
            var field = Encoding.UTF8.GetString(row.Field);
            var separator = field.IndexOf('\n', StringComparison.Ordinal);
            return Entry(GrainId.Parse(field[..separator]), field[(separator + 1)..], row.Value);
        })];

    private static byte[] Field(GrainId grainId, string reminderName) => Encoding.UTF8.GetBytes($"{grainId}\n{reminderName}");

    private static string ETagOf(byte[] value) => Encoding.UTF8.GetString(value).Split('\n')[0];

    private static ReminderEntry Entry(GrainId grainId, string reminderName, byte[] value)
    {
        var parts = Encoding.UTF8.GetString(value).Split('\n');
        return new ReminderEntry
        {
            GrainId = grainId,
            ReminderName = reminderName,
            ETag = parts[0],
            StartAt = new DateTime(long.Parse(parts[1], CultureInfo.InvariantCulture), DateTimeKind.Utc),
            Period = TimeSpan.FromTicks(long.Parse(parts[2], CultureInfo.InvariantCulture)),
        };
    }
}
