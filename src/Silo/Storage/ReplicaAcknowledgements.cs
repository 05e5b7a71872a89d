using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using Orleans.Persistence.Redis;
using StackExchange.Redis;

namespace Sessions.Silo.Storage;

/// <summary>
/// Redis <c>WAIT</c> for the grain writes of this process (Sessions:Storage:RequireReplicaAcks): a write counts only once
/// the required number of replicas of the node that owns its key hold it, so a failover to one of them cannot lose
/// it. <c>WAIT</c> covers every earlier write of the connection it is sent on, so, as the embedded store's group commit
/// does with the log, one <c>WAIT</c> per node serves every write that was waiting when it went out; a write that
/// arrives while one is out waits for the next.
/// </summary>
public sealed class ReplicaAcknowledgements(RedisConnection redis, int required, TimeSpan timeout)
{
    private readonly ConcurrentDictionary<EndPoint, NodeAcknowledgements> _nodes = new();

    /// <summary>Completes once <c>required</c> replicas hold the write of <paramref name="key"/> that just completed; throws when they do not in time.</summary>
    public async Task WaitAsync(RedisKey key)
    {
        var multiplexer = await redis.State.GetAsync();
        var server = multiplexer.GetServer(key);
        await _nodes.GetOrAdd(server.EndPoint, _ => new NodeAcknowledgements(required, timeout)).WaitAsync(server);
    }

    /// <summary>The writes waiting on one node, and the one <c>WAIT</c> that serves them at a time.</summary>
    private sealed class NodeAcknowledgements(int required, TimeSpan timeout)
    {
        private readonly Lock _gate = new();
        private readonly string _milliseconds = ((long)timeout.TotalMilliseconds).ToString(CultureInfo.InvariantCulture);
        private TaskCompletionSource? _waiting;
        private bool _asking;

        public Task WaitAsync(IServer server)
        {
            lock (_gate)
            {
                _waiting ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                var acknowledged = _waiting.Task;
                if (!_asking)
                {
                    _asking = true;
                    _ = Task.Run(() => AskWhileWaitedForAsync(server));
                }
                return acknowledged;
            }
        }

        private async Task AskWhileWaitedForAsync(IServer server)
        {
            while (true)
            {
                TaskCompletionSource batch;
                lock (_gate)
                {
                    if (_waiting is null)
                    {
                        _asking = false;
                        return;
                    }
                    (batch, _waiting) = (_waiting, null);
                }
                try
                {
                    var replicas = (long)await server.ExecuteAsync("WAIT", required, _milliseconds);
                    if (replicas >= required)
                    {
                        batch.SetResult();
                    }
                    else
                    {
                        // The write is on the primary alone: a failover now would lose it, so it does not count.
                        batch.SetException(new RedisStorageException(
                            $"Only {replicas} of {required} replica(s) of {server.EndPoint} confirmed the write within {_milliseconds} ms."));
                    }
                }
                catch (Exception e)
                {
                    batch.SetException(new RedisStorageException($"Waiting for the replicas of {server.EndPoint} failed: {e.Message}"));
                }
            }
        }
    }
}
