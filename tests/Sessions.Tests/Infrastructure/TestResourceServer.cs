using System.Net;
using System.Net.Http.Headers;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Sessions.ResourceServer;
using Sessions.Samples.ResourceServer;

namespace Sessions.Tests.Infrastructure;

/// <summary>The resource server of <c>samples/ResourceServer</c> on a test host, talking to a real API host.</summary>
public static class TestResourceServer
{
    /// <summary>The sample's one endpoint, which needs a USER token.</summary>
    public static readonly Uri Me = new("http://localhost/me");

    /// <summary>The service's introspection endpoint, as the resource server reaches it over its route.</summary>
    public static readonly Uri Introspection = new("http://localhost/auth/v1/token/introspect");

    /// <summary>The sample's server, with the brand's JWKS as the real service serves it.</summary>
    public static Task<WebApplication> StartResourceServerAsync(ApiFactory sessions, string brand, Action<IServiceCollection>? services = null) =>
        StartResourceServerAsync(new RouteToSessions { Target = sessions.Server.CreateHandler() }, brand, services);

    /// <summary>The sample's server, fetching the brand's JWKS over <paramref name="route"/>, with what <paramref name="services"/> adds.</summary>
    public static async Task<WebApplication> StartResourceServerAsync(RouteToSessions route, string brand, Action<IServiceCollection>? services = null)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseTestServer();
        builder.Services.AddSessionsTokens("SESSIONS", new Uri($"http://localhost/auth/v1/brands/{brand}/jwks.json"), new HttpClient(route));
        services?.Invoke(builder.Services);
        var app = builder.Build();
        app.MapResourceServerApi();
        await app.StartAsync();
        return app;
    }

    /// <summary><c>GET /me</c> with the token under <paramref name="scheme"/> and the proof, if any: the status it got.</summary>
    public static async Task<HttpStatusCode> CallAsync(WebApplication resourceServer, string? scheme, string? token, string? proof = null)
    {
        using var response = await SendAsync(resourceServer, scheme, token, proof);
        return response.StatusCode;
    }

    public static async Task<HttpResponseMessage> SendAsync(WebApplication resourceServer, string? scheme, string? token, string? proof = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, Me);
        if (scheme is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue(scheme, token);
        }
        if (proof is not null)
        {
            request.Headers.Add("DPoP", proof);
        }
        return await resourceServer.GetTestClient().SendAsync(request);
    }

    /// <summary>The resource server's way to the service: down until a test points it at an API host, and counted by path.</summary>
    public sealed class RouteToSessions : HttpMessageHandler
    {
        private readonly Dictionary<string, int> _byPath = [];

        public HttpMessageHandler? Target { get; set; }

        /// <summary>How many requests went anywhere.</summary>
        public int Requests
        {
            get
            {
                lock (_byPath)
                {
                    return _byPath.Values.Sum();
                }
            }
        }

        /// <summary>How many requests went to <paramref name="url"/>'s path.</summary>
        public int RequestsTo(Uri url)
        {
            lock (_byPath)
            {
                return _byPath.GetValueOrDefault(url.AbsolutePath);
            }
        }

        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            lock (_byPath)
            {
                var path = request.RequestUri!.AbsolutePath;
                _byPath[path] = _byPath.GetValueOrDefault(path) + 1;
            }
            return Target is { } target
                ? new HttpMessageInvoker(target, disposeHandler: false).SendAsync(request, cancellationToken)
                : throw new HttpRequestException(HttpRequestError.ConnectionError, "Connection refused (test)");
        }
    }
}
