namespace Sessions.Silo.Storage;

/// <summary>
/// Group commit for the embedded store's fully durable mode: a write that the store has answered waits for the next
/// commit of the append-only log, and one commit serves every write that was waiting when it began. A commit that
/// begins after a write was answered covers it, since the log holds the write from the moment the store answered.
/// </summary>
/// <remarks>
/// A commit is one write to the disk, and on a virtual machine that write costs more CPU than the grain call it makes
/// durable. So a commit first lets the requests already running reach their writes: each pass through the thread
/// pool's queue runs them one step further, and the commit waits for the next pass as long as the last one brought
/// more writes (at most <see cref="MaxGatheringPasses"/>). Idle, the queue is empty and the commit starts at once.
/// </remarks>
public sealed class AofGroupCommit(EmbeddedGarnet store)
{
    private const int MaxGatheringPasses = 16;

    private readonly Lock _gate = new();
    private TaskCompletionSource? _waiting;
    private bool _committing;
    private long _writes;

    /// <summary>Completes once every write the store answered before this call is in a committed log.</summary>
    public Task WaitForCommitAsync()
    {
        lock (_gate)
        {
            _writes++;
            _waiting ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            var commit = _waiting.Task;
            if (!_committing)
            {
                _committing = true;
                _ = Task.Run(CommitWhileWaitedForAsync);
            }
            return commit;
        }
    }

    private async Task CommitWhileWaitedForAsync()
    {
        while (true)
        {
            await GatherAsync();
            TaskCompletionSource batch;
            lock (_gate)
            {
                if (_waiting is null)
                {
                    _committing = false;
                    return;
                }
                (batch, _waiting) = (_waiting, null);
            }
            try
            {
                await store.CommitLogAsync();
                batch.SetResult();
            }
            catch (Exception e)
            {
                // The writes are in the store but not known durable: their callers fail, as on a store error.
                batch.SetException(e);
            }
        }
    }

    private async Task GatherAsync()
    {
        for (var pass = 0; pass < MaxGatheringPasses; pass++)
        {
            var before = Volatile.Read(ref _writes);
            await Task.Yield();
            if (Volatile.Read(ref _writes) == before)
            {
                return;
            }
        }
    }
}
