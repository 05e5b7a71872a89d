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

    /// <summary>Loopback port of the embedded store; 0 picks a free one at start.</summary>
    public int EmbeddedPort { get; set; }

    /// <summary>
    /// Embedded store: commit the append-only log on every write (true) or every 100 ms (false, faster; a crash
    /// can lose the last 100 ms of writes).
    /// </summary>
    public bool EmbeddedCommitEveryWrite { get; set; } = true;
}
