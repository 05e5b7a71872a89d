using Microsoft.Extensions.Hosting;
using Sessions.Silo.Hosting;

namespace Sessions.Silo;

/// <summary>A silo process of a cluster (Sessions:Cluster:Mode=Silo). The API co-hosts the same silo in the embedded default.</summary>
internal static class SiloProgram
{
    public static void Main(string[] args)
    {
        var builder = Host.CreateApplicationBuilder(args);
        builder.AddSessionsSilo();
        builder.Build().Run();
    }
}
