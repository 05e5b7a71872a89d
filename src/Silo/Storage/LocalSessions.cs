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

    /// <param name="listen">Whether the server also serves its port; otherwise only this process reaches it.</param>
    public LocalSessions(string[] arguments, bool listen)
    {
        _server = new EmbeddedServer(arguments);
        if (listen)
        {
            _server.Start();
        }
        else
        {
            _server.StartWithoutListening();
        }
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

    /// <summary>A checkpoint of the whole store (what <c>SAVE</c> takes), so that the next start replays a short log.</summary>
    public async Task CheckpointAsync(CancellationToken cancellationToken)
    {
        Task checkpoint;
        _open.EnterReadLock();
        try
        {
            ThrowIfClosed();
            checkpoint = _server.CheckpointAsync(cancellationToken);
        }
        finally
        {
            _open.ExitReadLock();
        }
        await checkpoint;
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

    /// <summary>A network server that serves nothing: the in-process store's only way in is <see cref="LocalSessions"/>.</summary>
    private sealed class NoNetworkServer : Garnet.server.IGarnetServer
    {
        private readonly System.Collections.Concurrent.ConcurrentDictionary<Garnet.networking.WireFormat, Garnet.server.ISessionProvider> _providers = new();

        public void Register(Garnet.networking.WireFormat wireFormat, Garnet.server.ISessionProvider backendProvider) => _providers[wireFormat] = backendProvider;

        public void Unregister(Garnet.networking.WireFormat wireFormat, out Garnet.server.ISessionProvider provider) => _providers.TryRemove(wireFormat, out provider!);

        public System.Collections.Concurrent.ConcurrentDictionary<Garnet.networking.WireFormat, Garnet.server.ISessionProvider> GetSessionProviders() => _providers;

        public bool AddSession(Garnet.networking.WireFormat protocol, ref Garnet.server.ISessionProvider provider, Garnet.networking.INetworkSender networkSender, out Garnet.networking.IMessageConsumer session)
        {
            session = null!;
            return false;
        }

        public void Start()
        {
        }

        public void Close()
        {
        }

        public void Dispose()
        {
        }
    }

    /// <summary>The Garnet server, handing out sessions on its store and checkpoints of it (protected members).</summary>
    private sealed class EmbeddedServer(string[] arguments) : GarnetServer(arguments, loggerFactory: null, cleanupDir: false)
    {
        public Garnet.server.LocalServerSession NewLocalSession() => new(storeWrapper);

        /// <summary>
        /// Starts the store with no network server: the TCP server the arguments made (its socket created, never bound)
        /// is swapped, before the start, for one that serves nothing, in the store's own list of servers.
        /// </summary>
        public void StartWithoutListening()
        {
            var servers = storeWrapper.Servers;
            for (var i = 0; i < servers.Length; i++)
            {
                servers[i].Dispose();
                servers[i] = new NoNetworkServer();
            }
            Start();
        }

        public Task CheckpointAsync(CancellationToken cancellationToken) =>
            storeWrapper.TakeCheckpointAsync(background: false, dbId: -1, cancellationToken, logger: null);
    }
}
