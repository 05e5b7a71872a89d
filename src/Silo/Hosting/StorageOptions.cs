namespace Sessions.Silo.Hosting;

public enum StorageMode
{
    /// <summary>An in-process Redis-compatible server (Garnet) on loopback, data under <see cref="StorageOptions.DataDirectory"/>.</summary>
    Embedded,

    /// <summary>The Redis named by <c>ConnectionStrings:Redis</c>.</summary>
    Redis,
}

/// <summary>The <c>Sessions:Storage</c> section.</summary>
public sealed class StorageOptions
{
    public const string SectionName = "Sessions:Storage";

    public StorageMode Mode { get; set; } = StorageMode.Embedded;

    /// <summary>Where the embedded store keeps its checkpoint and log (relative paths are under the content root).</summary>
    public string DataDirectory { get; set; } = ".data";

    /// <summary>
    /// The loopback port the embedded store listens on, for <c>redis-cli</c> or a local cluster's silos (0 picks a free
    /// one). None: it listens on no port at all; the grains of this process reach it in process, and nothing else can.
    /// </summary>
    public int? EmbeddedPort { get; set; }

    /// <summary>The password (<c>requirepass</c>) of the embedded store's port; required outside Development when a port is set.</summary>
    public string? EmbeddedPassword { get; set; }

    /// <summary>
    /// How the embedded store commits its append-only log; what a crash of the process can lose. The default loses
    /// nothing acknowledged and, committing once per group of writes, is also the fastest of the modes that commit
    /// every write (see the README's Performance section).
    /// </summary>
    public EmbeddedDurability EmbeddedDurability { get; set; } = EmbeddedDurability.Acknowledged;

    /// <summary>
    /// How much of its log the embedded store keeps in memory, in MiB (a power of two). The store counts the states in
    /// it at their size in memory, about 840 bytes per device session, so the default keeps about 600,000 of them there;
    /// older ones are read from the data directory, at 23–28 times the CPU per state in the store sweep and a slower
    /// cold activation (README, Sizing).
    /// </summary>
    public int EmbeddedMemoryMegabytes { get; set; } = 512;

    /// <summary>
    /// Redis mode: how many replicas must hold a grain write before it counts (and the client is told). 0 for a single
    /// primary; 1 on a Redis with replicas (Redis Cluster, a managed Redis), so that a failover to a replica never loses
    /// a rotation a client was told about. A write that fewer replicas confirm in <see cref="ReplicaAckTimeout"/> fails:
    /// the client hears 1599 and keeps a key that still works.
    /// </summary>
    public int RequireReplicaAcks { get; set; }

    /// <summary>How long a write waits for its replicas (Redis <c>WAIT</c>) before it is refused.</summary>
    public TimeSpan ReplicaAckTimeout { get; set; } = TimeSpan.FromMilliseconds(200);

    /// <summary>
    /// How often the store sweep looks through the stored device sessions and identifiers for those that have wholly
    /// ended and were never used again (an uninstalled app, a guesser's random identifiers), which it removes; 0: never.
    /// One silo of the cluster sweeps at a time.
    /// </summary>
    public int SweepHours { get; set; } = 24;
}

public enum EmbeddedDurability
{
    /// <summary>
    /// Each write is committed before it is acknowledged: nothing acknowledged is lost. Beside the grains (the
    /// embedded default) one log commit serves every write waiting for it (group commit); a store in a process of its
    /// own (<c>Sessions.Silo store</c>) commits once per write.
    /// </summary>
    Acknowledged,

    /// <summary>Each write starts its commit at once but is acknowledged before the commit completes: a crash can
    /// lose the writes whose commit was in flight (well under a millisecond's worth).</summary>
    Immediate,

    /// <summary>The log is committed every 100 ms: a crash can lose up to the last 100 ms of writes. Fastest.</summary>
    Periodic,
}
