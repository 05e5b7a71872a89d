using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Sessions.Tests.Infrastructure;

/// <summary>
/// Two silos (the API in Silo mode) and an API in Client mode of one cluster, as hosts of this process that share one
/// log capture, so that a test failing in a loaded run can say what the hosts said.
/// </summary>
public sealed class InProcessCluster : IAsyncDisposable
{
    private readonly CapturedLogs _logs = new();
    private readonly ApiFactory _silo1;
    private readonly ApiFactory _silo2;
    private readonly ApiFactory _client;

    /// <param name="silo1Gateway">The first silo's gateway port, for a test that connects to it; else a free one.</param>
    public InProcessCluster(Dictionary<string, string?> cluster, int? silo1Gateway = null)
    {
        _silo1 = Node(TestCluster.Node(cluster, "Silo", silo1Gateway));
        _silo2 = Node(TestCluster.Node(cluster, "Silo"));
        _client = Node(TestCluster.Node(cluster, "Client"));
    }

    /// <summary>
    /// The flow across the cluster: an MFA login through the client, the key regenerated through the first silo and
    /// presented again through the second. Returns the two answers' keys.
    /// </summary>
    public async Task<(string? First, string? Retry, SessionsClient ViaClient, TestDevice Device)> LogInAndRegenerateOnBothSilosAsync()
    {
        var viaSilo1 = _silo1.CreateSessionsClient();
        var viaSilo2 = _silo2.CreateSessionsClient();
        var viaClient = _client.CreateSessionsClient();
        var device = TestDevice.NewMobile();

        var login = await viaClient.MfaLoginAsync(device, device);
        var first = await SessionsClient.Ok(viaSilo1.PostAsync("mfa/token/regenerate", device.Body(("key", login.Key))));
        var retry = await SessionsClient.Ok(viaSilo2.PostAsync("mfa/token/regenerate", device.Body(("key", login.Key))));
        return (first.Key, retry.Key, viaClient, device);
    }

    /// <summary>The three hosts' services: the two silos', then the client's.</summary>
    public IEnumerable<IServiceProvider> HostServices => [_silo1.Services, _silo2.Services, _client.Services];

    /// <summary>The hosts' last warnings and errors, oldest first.</summary>
    public IEnumerable<string> LastWarnings(int count) => _logs.LastWarnings(count);

    public async ValueTask DisposeAsync()
    {
        await _client.DisposeAsync();
        await _silo2.DisposeAsync();
        await _silo1.DisposeAsync();
    }

    private ApiFactory Node(Dictionary<string, string?> settings) =>
        new(settings: settings, services: s => s.AddSingleton<ILoggerProvider>(_logs));
}
