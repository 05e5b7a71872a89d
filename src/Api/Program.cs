using Sessions.Api.Hosting;

var builder = WebApplication.CreateBuilder(args);
builder.AddSessionsApi();

var app = builder.Build();
app.MapSessionsApi();
app.Run();

/// <summary>The entry point, visible to the HTTP tests' WebApplicationFactory.</summary>
public partial class Program;
