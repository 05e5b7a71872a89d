using System.Globalization;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using Microsoft.Extensions.Options;
using Orleans.Configuration;

namespace Sessions.Silo.Storage;

/// <summary>
/// Orleans' reminder table in the embedded store, for the embedded default (one process, no store port). It keeps
/// exactly what Orleans' Redis reminder table keeps (a sorted set <c>{ServiceId}/reminders</c> whose members are the
/// JSON strings hash, grain id, name, ETag, start and period), so a data directory moves between the embedded default and
/// Redis mode with its reminders, as it does with its grain state (<see cref="EmbeddedGrainStorage"/>). The store's log
/// holds a change before the reminder service sees it succeed (with <see cref="AofGroupCommit"/>, the default), so a
/// reminder outlives a crash of the process. Every read reads the whole set: it holds only the reminders grains keep
/// while they wait for something.
/// </summary>
internal sealed class EmbeddedReminderTable(EmbeddedGarnet store, IOptions<ClusterOptions> cluster, AofGroupCommit? commit = null) : IReminderTable
{
    // The Redis table's escaping: members are compared as bytes by its lexicographic ranges.
    private static readonly JsonSerializerOptions MemberJson = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    private readonly byte[] _key = Encoding.UTF8.GetBytes($"{cluster.Value.ServiceId}/reminders");

    // A change reads the set and writes it as one step, for every caller in this process.
    private readonly Lock _gate = new();

    public Task Init() => Task.CompletedTask;

    public Task<ReminderEntry?> ReadRow(GrainId grainId, string reminderName) =>
        Task.FromResult(Rows().Select(r => r.Entry).FirstOrDefault(e => e.GrainId == grainId && e.ReminderName == reminderName));

    public Task<ReminderTableData> ReadRows(GrainId grainId) =>
        Task.FromResult(new ReminderTableData(Rows().Select(r => r.Entry).Where(e => e.GrainId == grainId)));

    /// <summary>The rows whose grain hash is in (<paramref name="begin"/>, <paramref name="end"/>], wrapping round when begin ≥ end.</summary>
    public Task<ReminderTableData> ReadRows(uint begin, uint end) => Task.FromResult(new ReminderTableData(Rows().Select(r => r.Entry).Where(e =>
    {
        var hash = e.GrainId.GetUniformHashCode();
        return begin < end ? hash > begin && hash <= end : hash > begin || hash <= end;
    })));

    public async Task<string?> UpsertRow(ReminderEntry entry)
    {
        var etag = Guid.NewGuid().ToString();
        var member = Encoding.UTF8.GetBytes(Member(entry, etag));
        lock (_gate)
        {
            var replaced = Rows().Where(r => r.Entry.GrainId == entry.GrainId && r.Entry.ReminderName == entry.ReminderName).Select(r => r.Member).ToList();
            store.Sessions.Run((Key: _key, Replaced: replaced, Member: member), static (session, change) =>
            {
                foreach (var old in change.Replaced)
                {
                    session.SortedSetRemove(change.Key, old);
                }
                session.SortedSetAdd(change.Key, change.Member);
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
            removed = Rows().FirstOrDefault(r => r.Entry.GrainId == grainId && r.Entry.ReminderName == reminderName && r.Entry.ETag == eTag) is { Member: { } member }
                && store.Sessions.Run((Key: _key, Member: member), static (session, row) => session.SortedSetRemove(row.Key, row.Member));
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

    private List<(byte[] Member, ReminderEntry Entry)> Rows() =>
        [.. store.Sessions.Run(_key, static (session, key) => session.SortedSetMembers(key)).Select(member => (member, Entry(member)))];

    private static string Member(ReminderEntry entry, string etag)
    {
        string[] segments =
        [
            entry.GrainId.GetUniformHashCode().ToString("X8", CultureInfo.InvariantCulture), entry.GrainId.ToString(), entry.ReminderName, etag,
            entry.StartAt.ToString("O", CultureInfo.InvariantCulture), entry.Period.ToString("c", CultureInfo.InvariantCulture),
        ];
        return JsonSerializer.Serialize(segments, MemberJson)[1..^1];
    }

    private static ReminderEntry Entry(byte[] member)
    {
        var segments = JsonSerializer.Deserialize<string[]>($"[{Encoding.UTF8.GetString(member)}]", MemberJson)!;
        return new ReminderEntry
        {
            GrainId = GrainId.Parse(segments[1]),
            ReminderName = segments[2],
            ETag = segments[3],
            StartAt = DateTime.Parse(segments[4], CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind),
            Period = TimeSpan.Parse(segments[5], CultureInfo.InvariantCulture),
        };
    }
}
