using System.Diagnostics.Metrics;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Sessions.Client;
using Sessions.Client.DeviceKeys;
using Sessions.Client.Http;
using Sessions.Client.Storage;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registration of <see cref="SessionsClient"/> and of its token handler for the app's own HTTP clients.</summary>
public static class SessionsClientServiceCollectionExtensions
{
    /// <summary>The name of the <see cref="HttpClient"/> the client calls the service with (configure it further through the result).</summary>
    public const string HttpClientName = "Sessions.Client";

    /// <summary>
    /// Registers one <see cref="SessionsClient"/> for the app (a singleton: its keepers are what make refreshes
    /// single-flight) over an <see cref="IHttpClientFactory"/> client, with options checked at start-up. Register an
    /// <see cref="ISessionStore"/> or <see cref="IDeviceKeyProvider"/> of your own to replace the file store or the
    /// software device keys.
    /// </summary>
    public static IHttpClientBuilder AddSessionsClient(this IServiceCollection services, Action<SessionsClientOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(configure);
        services.AddOptions<SessionsClientOptions>().Configure(configure).ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<SessionsClientOptions>, SessionsClientOptionsValidator>());
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<IDeviceKeyProvider, SoftwareDeviceKeys>();
        services.TryAddSingleton<ISessionStore>(provider =>
            new FileSessionStore(provider.GetRequiredService<IOptions<SessionsClientOptions>>().Value.StoreDirectory ?? FileSessionStore.DefaultDirectory));
        services.TryAddSingleton(provider =>
        {
            var http = provider.GetRequiredService<IHttpClientFactory>();
            return new SessionsClient(() => http.CreateClient(HttpClientName), provider.GetRequiredService<IOptions<SessionsClientOptions>>().Value,
                provider.GetRequiredService<ISessionStore>(), provider.GetRequiredService<IDeviceKeyProvider>(), provider.GetRequiredService<TimeProvider>(),
                provider.GetService<ILoggerFactory>(), provider.GetService<IMeterFactory>());
        });
        return services.AddHttpClient(HttpClientName);
    }

    /// <summary>
    /// Sends the token of the session <paramref name="sessionName"/> with every request of this client, refreshing it
    /// on one <c>401</c>: <c>services.AddHttpClient("shop").AddSessionToken();</c>
    /// </summary>
    public static IHttpClientBuilder AddSessionToken(this IHttpClientBuilder builder, string sessionName = SessionKeeper.DefaultName)
    {
        ArgumentNullException.ThrowIfNull(builder);
        return builder.AddHttpMessageHandler(provider => new SessionTokenHandler(provider.GetRequiredService<SessionsClient>().GetSession(sessionName)));
    }
}
