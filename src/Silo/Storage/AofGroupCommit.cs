namespace Sessions.Silo.Storage;

/// <summary>
/// Group commit for the embedded store's fully durable mode: a write that the store has answered waits for the next
/// commit of the append-only log, and one commit serves every write that was waiting when it began. A commit that
/// begins after a write was answered covers it, since the log holds the write from the moment the store answered.
/// </summary>
public sealed class AofGroupCommit(EmbeddedGarnet store)
{
    private readonly Lock _gate = new();
    private TaskCompletionSource? _waiting;
    private bool _committing;

    /// <summary>Completes once every write the store answered before this call is in a committed log.</summary>
    public Task WaitForCommitAsync()
    {
        lock (_gate)
        {
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
}
