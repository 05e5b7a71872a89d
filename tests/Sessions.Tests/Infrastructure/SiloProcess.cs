using System.Globalization;

namespace Sessions.Tests.Infrastructure;

/// <summary>
/// Real silo processes (<c>Sessions.Silo.dll</c>, beside the tests), so that a test can kill one with SIGKILL: no
/// graceful shutdown, no membership update, exactly as a crashed machine. A silo gets its environment as the API does,
/// through <c>ASPNETCORE_ENVIRONMENT</c>, and fresh ports, as a replacement machine would.
/// </summary>
public static class SiloProcess
{
    /// <summary>How long a silo may take to leave the cluster after SIGTERM.</summary>
    public static readonly TimeSpan StopBound = TimeSpan.FromSeconds(45);

    public static ChildProcess Start(IReadOnlyDictionary<string, string?> settings)
    {
        var start = ChildProcess.Dotnet(Path.Combine(AppContext.BaseDirectory, "Sessions.Silo.dll"));
        start.WorkingDirectory = AppContext.BaseDirectory;
        start.Environment.Remove("DOTNET_ENVIRONMENT");
        start.Environment["ASPNETCORE_ENVIRONMENT"] = "Development";
        foreach (var (key, value) in TestBrands.Configuration().Concat(settings))
        {
            start.Environment[key.Replace(":", "__", StringComparison.Ordinal)] = value;
        }
        start.Environment["Sessions__Cluster__Mode"] = "Silo";
        start.Environment["Sessions__Cluster__SiloPort"] = FreePort.Next().ToString(CultureInfo.InvariantCulture);
        start.Environment["Sessions__Cluster__GatewayPort"] = FreePort.Next().ToString(CultureInfo.InvariantCulture);
        return ChildProcess.Start(start, keptLines: 2_000);
    }

    public static ChildProcess[] StartMany(IReadOnlyDictionary<string, string?> settings, int count) =>
        Enumerable.Range(0, count).Select(_ => Start(settings)).ToArray();
}
