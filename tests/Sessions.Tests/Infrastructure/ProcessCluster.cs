using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Xunit.Abstractions;

namespace Sessions.Tests.Infrastructure;

/// <summary>
/// Real silo processes and an API in Client mode on one store, for the tests that kill, stop and replace silos as
/// an operator's cluster would see it. Disposing it kills whatever still runs. The API's log is captured, so that a
/// test failing in a loaded run can say what the API saw.
/// </summary>
public sealed class ProcessCluster : IAsyncDisposable
{
    private readonly Dictionary<string, string?> _settings;
    private readonly ChildProcess[] _silos;
    private readonly ApiFactory _api;
    private readonly CapturedLogs _apiLogs = new();

    private ProcessCluster(Dictionary<string, string?> settings, int silos)
    {
        _settings = settings;
        _silos = SiloProcess.StartMany(settings, silos);
        _api = new ApiFactory(settings: new(settings) { ["Sessions:Cluster:Mode"] = "Client" },
            services: s => s.AddSingleton<ILoggerProvider>(_apiLogs));
        Client = _api.CreateSessionsClient();
    }

    public SessionsClient Client { get; }

    /// <summary>The API host's services, for what it counted (<see cref="HostCounter"/>).</summary>
    public IServiceProvider ApiServices => _api.Services;

    /// <summary>What the API logged so far.</summary>
    public IReadOnlyCollection<CapturedEntry> ApiLogEntries => _apiLogs.Entries;

    public int SiloCount => _silos.Length;

    /// <summary>The last lines silo <paramref name="index"/> wrote.</summary>
    public string SiloOutput(int index) => _silos[index].Output;

    /// <summary>
    /// Runs a test's <paramref name="steps"/>; when they fail, writes the API's last warnings and errors (a 1500's
    /// exception among them), each silo's last lines and, given <paramref name="describeStore"/>, the store's state to
    /// <paramref name="output"/> before the failure surfaces.
    /// </summary>
    public async Task ExplainingFailureAsync(ITestOutputHelper output, Func<Task> steps, Func<Task<string>>? describeStore = null)
    {
        try
        {
            await steps();
        }
        catch
        {
            foreach (var line in _apiLogs.LastWarnings(40))
            {
                output.WriteLine(line);
            }
            for (var i = 0; i < _silos.Length; i++)
            {
                output.WriteLine($"silo {i}{(_silos[i].HasExited ? " (exited)" : "")}, last lines:\n{_silos[i].LastLines(30)}");
            }
            if (describeStore is not null)
            {
                output.WriteLine($"the store:\n{await describeStore()}");
            }
            throw;
        }
    }

    /// <summary>Starts the silos and the API, and waits until the API sees every silo active.</summary>
    public static async Task<ProcessCluster> StartAsync(Dictionary<string, string?> settings, int silos = 2)
    {
        var cluster = new ProcessCluster(settings, silos);
        try
        {
            await cluster.WaitForActiveSilosAsync();
            return cluster;
        }
        catch
        {
            await cluster.DisposeAsync();
            throw;
        }
    }

    /// <summary>SIGKILL of silo <paramref name="index"/>.</summary>
    public void Kill(int index) => _silos[index].Kill();

    /// <summary>SIGKILL of every silo at once.</summary>
    public void KillAll()
    {
        foreach (var silo in _silos)
        {
            silo.Kill();
        }
    }

    /// <summary>SIGSTOP of silo <paramref name="index"/>: it holds its sockets and answers nothing, as a machine its host stalled.</summary>
    public void Freeze(int index) => _silos[index].Signal("STOP");

    public void Thaw(int index) => _silos[index].Signal("CONT");

    /// <summary>SIGTERM of silo <paramref name="index"/>, waiting for it to leave the cluster.</summary>
    public Task StopAsync(int index) => _silos[index].StopAsync(SiloProcess.StopBound);

    /// <summary>A new silo process (new ports, as a replacement machine) in place of silo <paramref name="index"/>.</summary>
    public async Task ReplaceAsync(int index)
    {
        await _silos[index].DisposeAsync();
        _silos[index] = SiloProcess.Start(_settings);
    }

    /// <summary>Waits until the API's cluster client sees as many active silos as the cluster has.</summary>
    public async Task WaitForActiveSilosAsync()
    {
        var management = _api.Services.GetRequiredService<IClusterClient>().GetGrain<IManagementGrain>(0);
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (true)
        {
            try
            {
                if ((await management.GetHosts(onlyActive: true)).Count == _silos.Length)
                {
                    return;
                }
            }
            // While a membership shard fails over, a silo can fail the question with a Redis client error that Orleans
            // cannot serialise back, which arrives as a serializer error: asked again, as any transient failure.
            catch (Exception e) when (e is OrleansException or TimeoutException or Orleans.Serialization.SerializerException)
            {
            }
            Assert.True(DateTime.UtcNow < deadline, $"the cluster did not reach {_silos.Length} active silos in 60 s");
            await Task.Delay(250);
        }
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var silo in _silos)
        {
            await silo.DisposeAsync();
        }
        await _api.DisposeAsync();
    }
}
