using System.Collections.Concurrent;

namespace Sessions.Client.Storage;

/// <summary>
/// Sessions kept in memory, for a server-side app whose sessions may die with the process. Not durable: a crash loses
/// the session (never the customer's other sessions).
/// </summary>
public sealed class InMemorySessionStore : ISessionStore
{
    private readonly ConcurrentDictionary<string, string> _sessions = new();
    private readonly ConcurrentDictionary<string, SemaphoreSlim> _locks = new();

    public ValueTask<string?> LoadAsync(string name, CancellationToken cancellationToken) =>
        ValueTask.FromResult(_sessions.TryGetValue(SessionNames.Checked(name), out var content) ? content : null);

    public ValueTask SaveAsync(string name, string content, CancellationToken cancellationToken)
    {
        _sessions[SessionNames.Checked(name)] = content;
        return ValueTask.CompletedTask;
    }

    public ValueTask DeleteAsync(string name, CancellationToken cancellationToken)
    {
        _sessions.TryRemove(SessionNames.Checked(name), out _);
        return ValueTask.CompletedTask;
    }

    public async ValueTask<IAsyncDisposable> LockAsync(string name, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var gate = _locks.GetOrAdd(SessionNames.Checked(name), _ => new SemaphoreSlim(1, 1));
        if (!await gate.WaitAsync(timeout, cancellationToken).ConfigureAwait(false))
        {
            throw new TimeoutException($"The session '{name}' stayed locked for {timeout.TotalSeconds:0} s.");
        }
        return new Release(gate);
    }

    private sealed class Release(SemaphoreSlim gate) : IAsyncDisposable
    {
        private int _released;

        public ValueTask DisposeAsync()
        {
            if (Interlocked.Exchange(ref _released, 1) == 0)
            {
                gate.Release();
            }
            return ValueTask.CompletedTask;
        }
    }
}
