using System.Text;
using StackExchange.Redis;

namespace Sessions.Silo.Storage;

/// <summary>
/// Orleans' Redis reminder table, whose writes count only once the required replicas hold them, as the grain writes'
/// do (<see cref="ReplicaAcknowledgedGrainStorage"/>): a reminder that keeps a customer's security events on their
/// way is not lost with a primary that fails over before a replica had it. The table writes on the state's connection,
/// so one <c>WAIT</c> on the node that owns its key serves it and the grain writes waiting there alike.
/// </summary>
internal sealed class ReplicaAcknowledgedReminderTable(IReminderTable table, ReplicaAcknowledgements replicas, string serviceId)
    : IReminderTable, IAsyncDisposable
{
    // The one sorted set Orleans' Redis reminder table keeps every reminder of a service in.
    private readonly RedisKey _tableKey = Encoding.UTF8.GetBytes($"{serviceId}/reminders");

    public Task StartAsync(CancellationToken cancellationToken = default) => table.StartAsync(cancellationToken);

    public Task StopAsync(CancellationToken cancellationToken = default) => table.StopAsync(cancellationToken);

    public Task<ReminderTableData> ReadRows(GrainId grainId) => table.ReadRows(grainId);

    public Task<ReminderTableData> ReadRows(uint begin, uint end) => table.ReadRows(begin, end);

    public Task<ReminderEntry?> ReadRow(GrainId grainId, string reminderName) => table.ReadRow(grainId, reminderName);

    public async Task<string?> UpsertRow(ReminderEntry entry)
    {
        var eTag = await table.UpsertRow(entry);
        await replicas.WaitAsync(_tableKey);
        return eTag;
    }

    public async Task<bool> RemoveRow(GrainId grainId, string reminderName, string eTag)
    {
        var removed = await table.RemoveRow(grainId, reminderName, eTag);
        if (removed)
        {
            await replicas.WaitAsync(_tableKey);
        }
        return removed;
    }

    public Task TestOnlyClearTable() => table.TestOnlyClearTable();

    public async ValueTask DisposeAsync()
    {
        switch (table)
        {
            case IAsyncDisposable asyncDisposable:
                await asyncDisposable.DisposeAsync();
                break;
            case IDisposable disposable:
                disposable.Dispose();
                break;
        }
    }
}
