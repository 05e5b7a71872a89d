using System.Collections.Concurrent;
using Garnet;
using Orleans.Persistence.Redis;

namespace Sessions.Silo.Storage;

/// <summary>
/// The embedded Garnet server, and sessions on its store for code in this process (the grain storage). An operation
/// takes an idle session (a session is used by one thread at a time), runs synchronously on the caller's thread and
/// gives it back. Once the store is closed an operation fails as a storage error instead of touching a disposed
/// store; closing waits for the operations in flight.
/// </summary>
internal sealed class LocalSessions : IDisposable
{
    private readonly EmbeddedServer _server;
    private readonly ConcurrentBag<StoreSession> _idle = [];
    private readonly ReaderWriterLockSlim _open = new();
    private bool _closed;

    public LocalSessions(string[] arguments)
    {
        _server = new EmbeddedServer(arguments);
        _server.Start();
    }

    public T Run<TArgument, T>(TArgument argument, Func<StoreSession, TArgument, T> operation)
    {
        _open.EnterReadLock();
        try
        {
            ThrowIfClosed();
            var session = _idle.TryTake(out var idle) ? idle : new StoreSession(_server.NewLocalSession());
            var completed = false;
            try
            {
                var result = operation(session, argument);
                completed = true;
                return result;
            }
            finally
            {
                // A session an operation failed in is not trusted with the next one.
                if (completed && !session.IsSpent)
                {
                    _idle.Add(session);
                }
                else
                {
                    session.Dispose();
                }
            }
        }
        finally
        {
            _open.ExitReadLock();
        }
    }

    /// <summary>Commits the append-only log up to its tail: every write the store has answered is durable after it.</summary>
    public async Task CommitLogAsync(CancellationToken cancellationToken)
    {
        ValueTask<bool> commit;
        _open.EnterReadLock();
        try
        {
            ThrowIfClosed();
            commit = _server.Store.CommitAOFAsync(cancellationToken);
        }
        finally
        {
            _open.ExitReadLock();
        }
        if (!await commit)
        {
            throw new RedisStorageException("The embedded store did not commit its append-only log.");
        }
    }

    public void Dispose()
    {
        _open.EnterWriteLock();
        try
        {
            if (_closed)
            {
                return;
            }
            _closed = true;
            while (_idle.TryTake(out var session))
            {
                session.Dispose();
            }
            _server.Dispose();
        }
        finally
        {
            _open.ExitWriteLock();
        }
    }

    private void ThrowIfClosed()
    {
        if (_closed)
        {
            throw new RedisStorageException("The embedded store is not running.");
        }
    }

    /// <summary>The Garnet server, handing out sessions on its store (a protected member).</summary>
    private sealed class EmbeddedServer(string[] arguments) : GarnetServer(arguments, loggerFactory: null, cleanupDir: false)
    {
        public Garnet.server.LocalServerSession NewLocalSession() => new(storeWrapper);
    }
}
