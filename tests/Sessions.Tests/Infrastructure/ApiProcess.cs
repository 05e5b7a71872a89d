using System.Globalization;
using System.Text.Json;

namespace Sessions.Tests.Infrastructure;

/// <summary>
/// The embedded default as a real process (<c>Sessions.Api.dll</c> of the same build: API, co-hosted silo and
/// in-process store), so that a test can SIGKILL all of it at once and start it again on the same port and data.
/// </summary>
public sealed class ApiProcess : IAsyncDisposable
{
    private const string DataDirectoryKey = "Sessions:Storage:DataDirectory";
    private readonly Dictionary<string, string?> _settings;
    private readonly string? _ownDataDirectory;
    private readonly string _environment;
    private ChildProcess? _process;

    /// <param name="settings">Configuration on top of the test brands', which it may change.</param>
    /// <param name="extraPorts">More loopback ports the API listens on besides <see cref="Port"/>.</param>
    public ApiProcess(Dictionary<string, string?> settings, string environment = "Development", IReadOnlyList<int>? extraPorts = null)
    {
        _settings = new(TestBrands.Configuration());
        foreach (var (key, value) in settings)
        {
            _settings[key] = value;
        }
        if (!_settings.ContainsKey(DataDirectoryKey))
        {
            _settings[DataDirectoryKey] = _ownDataDirectory = TempDirectory.Create("api-process");
        }
        _environment = environment;
        ExtraPorts = extraPorts ?? [];
        Client = new SessionsClient(new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{Port}"), Timeout = TimeSpan.FromSeconds(10) });
    }

    public int Port { get; } = FreePort.Next();

    public IReadOnlyList<int> ExtraPorts { get; }

    /// <summary>The silo port of the current run (loopback).</summary>
    public int SiloPort { get; private set; }

    /// <summary>The running process's id.</summary>
    public int ProcessId => _process!.Id;

    public SessionsClient Client { get; }

    /// <summary>Every line the current run wrote (up to the last 20,000), for tests that read its logs.</summary>
    public IReadOnlyCollection<string> Output => _process?.Lines ?? [];

    /// <summary>
    /// The one JSON log line with <paramref name="eventId"/> (the API started with <c>Logging:Console:FormatterName=json</c>),
    /// waited for up to 5 s: the console writes from a queue of its own.
    /// </summary>
    public async Task<JsonElement> JsonLogLineAsync(int eventId)
    {
        var marker = $"\"EventId\":{eventId.ToString(CultureInfo.InvariantCulture)},";
        bool Matches(string line) => line.StartsWith('{') && line.Contains(marker, StringComparison.Ordinal);
        for (var waited = 0; waited < 50 && !Output.Any(Matches); waited++)
        {
            await Task.Delay(100);
        }
        using var line = JsonDocument.Parse(Assert.Single(Output, Matches));
        return line.RootElement.Clone();
    }

    /// <summary>Starts the process (fresh silo ports, the same HTTP port and data) and waits until it is ready.</summary>
    public async Task StartAsync()
    {
        var start = ChildProcess.Dotnet(ApiDll);
        start.WorkingDirectory = Path.GetDirectoryName(ApiDll)!;
        start.Environment.Remove("DOTNET_ENVIRONMENT");
        start.Environment["ASPNETCORE_ENVIRONMENT"] = _environment;
        start.Environment["ASPNETCORE_URLS"] = string.Join(';', new[] { Port }.Concat(ExtraPorts).Select(port => $"http://127.0.0.1:{port}"));
        SiloPort = FreePort.Next();
        start.Environment["Sessions__Cluster__SiloPort"] = SiloPort.ToString(CultureInfo.InvariantCulture);
        start.Environment["Sessions__Cluster__GatewayPort"] = "0";
        foreach (var (key, value) in _settings)
        {
            start.Environment[key.Replace(":", "__", StringComparison.Ordinal)] = value;
        }
        if (_process is not null)
        {
            await _process.DisposeAsync();
        }
        _process = ChildProcess.Start(start);
        await _process.WaitUntilReadyAsync("the API", () => ChildProcess.AnswersAsync(Client.Http, "/health/ready"));
    }

    /// <summary>SIGKILL: API, silo and store gone at once, with no shutdown, no checkpoint and no final flush.</summary>
    public async Task KillAsync()
    {
        if (_process is not null)
        {
            await _process.KillAsync();
        }
    }

    /// <summary>SIGSTOP: the whole process holds still, as a host stalled by its hypervisor, until <see cref="Thaw"/>.</summary>
    public void Freeze() => _process!.Signal("STOP");

    public void Thaw() => _process!.Signal("CONT");

    public async ValueTask DisposeAsync()
    {
        if (_process is not null)
        {
            await _process.DisposeAsync();
        }
        Client.Http.Dispose();
        if (_ownDataDirectory is not null)
        {
            TempDirectory.Delete(_ownDataDirectory);
        }
    }

    /// <summary>The API of this build: <c>dotnet test</c> builds it in the tests' configuration beside its project.</summary>
    private static string ApiDll => Repository.Output(Path.Combine("src", "Api"), "Sessions.Api.dll");
}
