using Sessions.ResourceServer;
using Sessions.ResourceServer.Redis;

namespace Sessions.Samples.ResourceServer;

/// <summary>
/// A resource server that accepts Sessions USER tokens, bearer or device-bound: <c>GET /me</c> answers the customer
/// id of a USER token. Run it beside the service: <c>dotnet run --project samples/ResourceServer --urls http://localhost:5090</c>.
/// With <c>Sessions:IntrospectionSecret</c> (the brand's) set, it refuses a session signed out at the service within 30 s;
/// with <c>ConnectionStrings:ProofReplayCache</c> set, its processes share the DPoP proofs they accepted in that Redis.
/// </summary>
public static class Program
{
    public static async Task Main(string[] args)
    {
        var builder = WebApplication.CreateBuilder(args);
        var sessions = builder.Configuration["Sessions:Url"] ?? "http://localhost:5080";
        var brand = builder.Configuration["Sessions:Brand"] ?? "DEMO";
        builder.Services.AddSessionsTokens(builder.Configuration["Sessions:Issuer"] ?? "SESSIONS", new Uri($"{sessions}/auth/v1/brands/{brand}/jwks.json"));
        if (builder.Configuration["Sessions:IntrospectionSecret"] is { Length: > 0 } secret)
        {
            builder.Services.AddSessionsRevocationCheck(o =>
            {
                o.Endpoint = new Uri($"{sessions}/auth/v1/token/introspect");
                o.Brand = brand;
                o.Secret = secret;
            });
        }
        if (builder.Configuration.GetConnectionString("ProofReplayCache") is { Length: > 0 } replayCache)
        {
            builder.Services.AddRedisDeviceProofReplayCache(replayCache);
        }

        var app = builder.Build();
        app.MapResourceServerApi();
        await app.RunAsync();
    }
}
