namespace Sessions.Testing;

/// <summary>
/// Ports for what the tests and the bench start, each taken once per process, in turn, and checked free when taken:
/// hosts from 10000–19999, Redis Cluster nodes from 20000–22767 (their bus ports, + 10000, from 30000–32767). A port
/// the kernel hands out for port 0 comes from its ephemeral range (32768 and up), where any outgoing connection may
/// take it as its source port between the pick and the bind, or, while nothing listens yet, connect to itself on it.
/// Below that range neither can happen, and a port taken in turn is never handed to two callers. The tests and the
/// bench compile this one file (a link in each project), so that both keep to these ranges.
/// </summary>
public static class FreePort
{
    private static readonly PortRange Hosts = new(10_000, 10_000);
    private static readonly PortRange ClusterNodes = new(20_000, 2_768);

    public static int Next() => Hosts.Take(IsFree);

    /// <summary>A port for a Redis Cluster node, whose cluster bus port (+ 10000) is free too.</summary>
    public static int NextWithBusPort() => ClusterNodes.Take(port => IsFree(port) && IsFree(port + 10_000));

    private static bool IsFree(int port)
    {
        try
        {
            using var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, port);
            listener.Start();
            return true;
        }
        catch (System.Net.Sockets.SocketException)
        {
            return false;
        }
    }

    private sealed class PortRange(int first, int count)
    {
        private int _taken = Random.Shared.Next(count);

        public int Take(Func<int, bool> isFree)
        {
            for (var tried = 0; tried < count; tried++)
            {
                var port = first + (int)((uint)Interlocked.Increment(ref _taken) % (uint)count);
                if (isFree(port))
                {
                    return port;
                }
            }
            throw new InvalidOperationException($"No free port in {first}–{first + count - 1}.");
        }
    }
}
