using Microsoft.Extensions.Hosting;
using Sessions.Silo.Hosting;

// A silo process of a cluster (Sessions:Cluster:Mode=Silo). The API co-hosts the same silo in the embedded default.
var builder = Host.CreateApplicationBuilder(args);
builder.AddSessionsSilo();
builder.Build().Run();
