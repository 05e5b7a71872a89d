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
}
