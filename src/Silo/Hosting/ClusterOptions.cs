namespace Sessions.Silo.Hosting;

public enum ClusterMode
{
    /// <summary>One process: the API co-hosts a silo with localhost clustering.</summary>
    Embedded,

    /// <summary>A silo of a cluster whose membership lives in Redis (<c>ConnectionStrings:Redis</c>).</summary>
    Silo,

    /// <summary>The API joins a Redis-membership cluster as an Orleans client and hosts no grains.</summary>
    Client,
}

/// <summary>The <c>Sessions:Cluster</c> section.</summary>
public sealed class SessionsClusterOptions
{
    public const string SectionName = "Sessions:Cluster";

    public ClusterMode Mode { get; set; } = ClusterMode.Embedded;
    public string ClusterId { get; set; } = "sessions";
    public string ServiceId { get; set; } = "sessions";
    public int SiloPort { get; set; } = 11111;
    public int GatewayPort { get; set; } = 30000;

    /// <summary>The IP other silos and clients reach this silo on (Silo mode); the host's first IPv4 when empty.</summary>
    public string? AdvertisedAddress { get; set; }

    /// <summary>The silo's name in the membership table and the logs (on Kubernetes, the pod name); Orleans makes one when empty.</summary>
    public string? SiloName { get; set; }

    /// <summary>How fast the cluster notices a silo that died without leaving (Silo mode).</summary>
    public MembershipTimings Membership { get; set; } = new();

    /// <summary>Mutual TLS between silos and from API clients to the gateways (Silo and Client modes).</summary>
    public ClusterTlsOptions Tls { get; set; } = new();

    /// <summary>When idle grains leave the silo's memory (their state stays in the store).</summary>
    public GrainCollectionSettings GrainCollection { get; set; } = new();

    /// <summary>
    /// Outside Development, Silo and Client modes refuse to start without <see cref="Tls"/>: grain calls carry
    /// password hashes, OTP hashes and the state of every key. This says, on purpose, that the network is private enough.
    /// </summary>
    public bool AllowPlaintext { get; set; }
}

/// <summary>
/// The <c>Sessions:Cluster:Tls</c> section: one certificate (PKCS#12, with its private key) that every silo and every
/// API client presents, and the only one each of them accepts from a peer.
/// </summary>
public sealed class ClusterTlsOptions
{
    public string? CertificatePath { get; set; }

    public string? Password { get; set; }

    public bool IsConfigured => !string.IsNullOrWhiteSpace(CertificatePath);
}

/// <summary>
/// The <c>Sessions:Cluster:Membership</c> section: the Orleans membership timings that bound how long the grains
/// of a crashed silo stay unreachable. Orleans' own defaults (I-am-alive every 30 s, stale after 90 s, table read
/// every minute) leave a cluster whose every silo was SIGKILLed waiting on the dead entries for over a minute.
/// </summary>
public sealed class MembershipTimings
{
    /// <summary>How often a silo writes its I-am-alive time to the membership table (one small Redis write).</summary>
    public TimeSpan IAmAlivePeriod { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// Missed I-am-alive writes after which an entry is stale: a joining silo no longer waits to reach it, every
    /// silo probes it, and a single vote can declare it dead.
    /// </summary>
    public int MissedIAmAliveLimit { get; set; } = 2;

    /// <summary>How long a silo waits for a probe's answer; probes go out at this period.</summary>
    public TimeSpan ProbeTimeout { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>Missed probes in a row after which a silo votes its peer dead.</summary>
    public int MissedProbesLimit { get; set; } = 3;

    /// <summary>How often a silo re-reads the whole membership table, besides the gossip that carries each change.</summary>
    public TimeSpan TableRefreshPeriod { get; set; } = TimeSpan.FromSeconds(5);
}

/// <summary>
/// The <c>Sessions:Cluster:GrainCollection</c> section: a silo's memory follows its active device sessions, not the
/// stored ones. A device session idle for <see cref="IdleMinutes"/> is deactivated (its next call activates it from the
/// store); and when the process nears its memory limit, Orleans sheds the least recently used activations first.
/// </summary>
public sealed class GrainCollectionSettings
{
    /// <summary>
    /// 20 minutes by default: longer than a token's 15-minute life, so an app that regenerates when its token expires
    /// finds its grain still active; shorter, and every regenerate of every device would be a cold activation.
    /// </summary>
    public int IdleMinutes { get; set; } = 20;

    /// <summary>
    /// Above this share of the memory available to the process (the container's limit, or the machine's), activations
    /// are shed until <see cref="MemoryTargetPercent"/>; 0 turns shedding off.
    /// </summary>
    public int ShedAtMemoryPercent { get; set; } = 85;

    public int MemoryTargetPercent { get; set; } = 75;
}
