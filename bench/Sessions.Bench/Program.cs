using System.Collections.Concurrent;
using System.Globalization;
using System.Runtime.InteropServices;
using Sessions.Bench;

// One command prints every scenario side by side with the machine's own ceiling (the baseline):
//   dotnet run -c Release --project bench/Sessions.Bench [-- --duration 10 --users 32 --durability Acknowledged|Immediate|Periodic --workstation-gc]
if (args is ["baseline-server", var portArgument])
{
    BaselineServer.Run(int.Parse(portArgument, CultureInfo.InvariantCulture));
    return;
}

var options = BenchOptions.Parse(args);
var root = FindRoot();
var configuration = new DirectoryInfo(Path.TrimEndingDirectorySeparator(AppContext.BaseDirectory)).Parent!.Name;
var apiDll = Path.Combine(root, "src", "Api", "bin", configuration, "net10.0", "Sessions.Api.dll");
var siloDll = Path.Combine(root, "src", "Silo", "bin", configuration, "net10.0", "Sessions.Silo.dll");
var work = Path.Combine(Path.GetTempPath(), $"sessions-bench-{DateTime.UtcNow:yyyyMMdd-HHmmss}");
Directory.CreateDirectory(work);
Console.WriteLine($"Sessions benchmark: {options.Users} virtual users, {options.Warmup.TotalSeconds:F0} s warm-up + {options.Duration.TotalSeconds:F0} s per scenario, {configuration} build; logs in {work}");
Console.WriteLine(Machine());

var results = new List<Measurement>();
var introspectionSecret = Convert.ToHexString(System.Security.Cryptography.RandomNumberGenerator.GetBytes(24));
var introspectionAuthorization = "Basic " + Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes($"BENCHSTATIC:{introspectionSecret}"));
using var http = Loader.NewClient(options.Users * 2);

// The ceiling: the same loader against a minimal endpoint that parses the same JSON and signs one HS256 JWT.
var baselinePort = ServerProcess.FreePort();
await using (var baseline = await ServerProcess.StartAsync(Path.Combine(AppContext.BaseDirectory, "Sessions.Bench.dll"),
    ["baseline-server", baselinePort.ToString(CultureInfo.InvariantCulture)], new Dictionary<string, string>(), Path.Combine(work, "baseline.log"), baselinePort, "/ready"))
{
    var body = Loader.Json("BENCH", Scenarios.Mobile(0), "device-0", ("key", new string('k', 380)));
    var users = Enumerable.Range(0, options.Users).Select(_ => (IVirtualUser)new Scenarios.Baseline($"http://127.0.0.1:{baselinePort}/baseline", body)).ToList();
    results.Add(await Report(await Loader.MeasureAsync("baseline", http, baseline, users, options.Warmup, options.Duration)));
}

var apiPort = ServerProcess.FreePort();
var dataDirectory = Path.Combine(work, "api-data");
var environment = ApiEnvironment(apiPort, dataDirectory);
var api = $"http://127.0.0.1:{apiPort}";
var server = await ServerProcess.StartAsync(apiDll, [], environment, Path.Combine(work, "api.log"), apiPort, "/health/live");
try
{
    var staticUsers = await SetUpAsync(options.Users, "BENCHSTATIC", "static", u => new Scenarios.Regenerate($"{api}/auth/v1/mfa/token/regenerate", Loader.Json("BENCHSTATIC", u.Mobile, u.Device, ("key", u.Key))));
    // A fresh process runs unoptimised code until tiered compilation catches up; give it time before anything counts.
    await Loader.MeasureAsync("jit warm-up", http, server, staticUsers, TimeSpan.Zero, options.Warmup * 3);
    var regenerate = await Report(await Loader.MeasureAsync("regenerate", http, server, staticUsers, options.Warmup, options.Duration));
    results.Add(regenerate);

    // Introspection: one USER token per user (a regenerate of its static key hands one out), asked about again and again.
    var introspectors = new IVirtualUser[options.Users];
    await Parallel.ForAsync(0, options.Users, async (u, _) =>
    {
        var user = (Scenarios.Regenerate)staticUsers[u];
        var (code, body) = await Loader.PostAsync(http, user.Url, user.Body);
        if (code != 200) throw new InvalidOperationException($"set-up regenerate failed with {code}");
        introspectors[u] = new Scenarios.Introspect($"{api}/auth/v1/token/introspect", introspectionAuthorization, body.GetProperty("auth").GetProperty("token").GetString()!);
    });
    results.Add(await Report(await Loader.MeasureAsync("introspect", http, server, introspectors, options.Warmup, options.Duration)));

    var rotating = await SetUpAsync(options.Users, "BENCH", "rotating", u => new Scenarios.RegenerateRotating($"{api}/auth/v1/mfa/token/regenerate", "BENCH", u.Mobile, u.Device, u.Key));
    results.Add(await Report(await Loader.MeasureAsync("regenerate-rotating", http, server, rotating, options.Warmup, options.Duration)));

    var logins = Enumerable.Range(0, options.Users).Select(u => (IVirtualUser)new Scenarios.Login(api, "BENCH", Scenarios.Mobile(u % Scenarios.Identifiers), $"login-{u}")).ToList();
    results.Add(await Report(await Loader.MeasureAsync("login", http, server, logins, options.Warmup, options.Duration)));

    results.Add(await Report(await Loader.MeasureAsync("regenerate@half", http, server, staticUsers, options.Warmup, options.Duration, regenerate.OperationsPerSecond / 2)));

    // Cold: device sessions created, then the API restarted, so that every regenerate activates its grain from the store.
    var cold = new ConcurrentQueue<(string Mobile, string Device, string Key)>();
    await Parallel.ForAsync(0, options.ColdSessions, new ParallelOptions { MaxDegreeOfParallelism = options.Users }, async (i, _) =>
    {
        var mobile = Scenarios.Mobile(i % Scenarios.Identifiers);
        var (code, key) = await Scenarios.MfaLoginAsync(http, api, "BENCHSTATIC", mobile, $"cold-{i}");
        if (code == 200) cold.Enqueue((mobile, $"cold-{i}", key!));
    });
    await server.DisposeAsync();
    server = await ServerProcess.StartAsync(apiDll, [], environment, Path.Combine(work, "api-restarted.log"), apiPort, "/health/live");
    // Warm the new process on the 32 static device sessions only: the cold ones stay inactive until measured.
    await Loader.MeasureAsync("jit warm-up", http, server, staticUsers, TimeSpan.Zero, options.Warmup * 3);
    var coldUsers = Enumerable.Range(0, options.Users).Select(_ => (IVirtualUser)new Scenarios.Cold($"{api}/auth/v1/mfa/token/regenerate", "BENCHSTATIC", cold)).ToList();
    results.Add(await Report(await Loader.MeasureAsync("cold", http, server, coldUsers, TimeSpan.Zero, TimeSpan.FromMinutes(5), stopWhenIdle: true)));
}
finally
{
    await server.DisposeAsync();
}

Console.WriteLine();
Console.WriteLine($"Memory: opening {options.Activations:N0} device sessions on an in-process silo (store in its own process)...");
var memory = await MemoryProbe.RunAsync(siloDll, work, options.Activations);

PrintSummary(results, memory);
return;

async Task<List<IVirtualUser>> SetUpAsync(int count, string brand, string prefix, Func<(string Mobile, string Device, string Key), IVirtualUser> create)
{
    var users = new IVirtualUser[count];
    await Parallel.ForAsync(0, count, async (u, _) =>
    {
        var mobile = Scenarios.Mobile(u % Scenarios.Identifiers);
        var device = $"{prefix}-{u}";
        var (code, key) = await Scenarios.MfaLoginAsync(http, api, brand, mobile, device);
        if (code != 200) throw new InvalidOperationException($"set-up login failed with {code}");
        users[u] = create((mobile, device, key!));
    });
    return [.. users];
}

static Task<Measurement> Report(Measurement m)
{
    Console.WriteLine($"  {m.Scenario,-20} {m.OperationsPerSecond,9:N0} ops/s  p50 {m.Percentile(0.50),6:F2} ms  p99 {m.Percentile(0.99),7:F2} ms  errors {Errors(m)}");
    return Task.FromResult(m);
}

static string Errors(Measurement m) => m.Errors.Count == 0 ? "0" : string.Join(", ", m.Errors.OrderBy(e => e.Key).Select(e => $"{e.Key}×{e.Value}"));

void PrintSummary(List<Measurement> all, MemoryFigures memoryFigures)
{
    var ceiling = all.Single(m => m.Scenario == "baseline").RequestsPerSecond;
    Console.WriteLine();
    Console.WriteLine("| scenario | ops/s | requests/s | ratio to baseline | p50 ms | p90 ms | p99 ms | errors | server CPU µs/request |");
    Console.WriteLine("|---|---:|---:|---:|---:|---:|---:|---|---:|");
    foreach (var m in all)
    {
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"| {m.Scenario} | {m.OperationsPerSecond:N0} | {m.RequestsPerSecond:N0} | {m.RequestsPerSecond / ceiling:F2} | {m.Percentile(0.5):F2} | {m.Percentile(0.9):F2} | {m.Percentile(0.99):F2} | {Errors(m)} | {m.CpuMicrosecondsPerRequest:F0} |"));
    }
    Console.WriteLine();
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
        $"Memory: {memoryFigures.BytesPerGrain:N0} bytes per active device-session grain ({memoryFigures.Activations:N0} activations); "
        + $"{memoryFigures.BytesPerStoredSession:N0} bytes per stored session as the store reports it ({memoryFigures.StoredValueBytes:N0} bytes of key and value)."));
}

Dictionary<string, string> ApiEnvironment(int port, string data)
{
    var env = new Dictionary<string, string>
    {
        ["ASPNETCORE_ENVIRONMENT"] = "Development",
        ["ASPNETCORE_URLS"] = $"http://127.0.0.1:{port}",
        ["Sessions__Storage__DataDirectory"] = data,
        ["Sessions__Cluster__SiloPort"] = ServerProcess.FreePort().ToString(CultureInfo.InvariantCulture),
        ["Sessions__Cluster__GatewayPort"] = "0",
        ["Sessions__Otp__Sender"] = "DevOutbox",
        ["Logging__LogLevel__Default"] = "Warning",
    };
    foreach (var brand in new[] { "BENCH", "BENCHSTATIC" })
    {
        env[$"Sessions__Brands__{brand}__OrgId"] = "1";
        env[$"Sessions__Brands__{brand}__OrgUser"] = "bench";
        // HS256 like the baseline, so the ratios compare the same signature (Development would make an ES256 key).
        env[$"Sessions__Brands__{brand}__SigningKeys__0__Id"] = $"{brand.ToLowerInvariant()}-hs256";
        env[$"Sessions__Brands__{brand}__SigningKeys__0__Secret"] = Convert.ToBase64String(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32));
        for (var i = 0; i < Scenarios.Identifiers; i++)
        {
            env[$"Sessions__Brands__{brand}__TestIdentifiers__{i}__IdentifierType"] = "MOBILE";
            env[$"Sessions__Brands__{brand}__TestIdentifiers__{i}__IdentifierValue"] = Scenarios.Mobile(i);
            env[$"Sessions__Brands__{brand}__TestIdentifiers__{i}__Otp"] = Scenarios.Otp;
        }
    }
    env["Sessions__Brands__BENCHSTATIC__RotateKeyOnRegenerate"] = "false";
    env["Sessions__Brands__BENCHSTATIC__IntrospectionSecret"] = introspectionSecret;
    if (options.Durability is { } durability)
    {
        env["Sessions__Storage__EmbeddedDurability"] = durability;
    }
    if (options.WorkstationGc)
    {
        env["DOTNET_gcServer"] = "0";
    }
    return env;
}

static string Machine()
{
    var cpu = File.Exists("/proc/cpuinfo")
        ? File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal))?.Split(':', 2)[1].Trim()
        : null;
    return $"Machine: {Environment.ProcessorCount} cores ({cpu ?? RuntimeInformation.ProcessArchitecture.ToString()}), {RuntimeInformation.OSDescription}, .NET {Environment.Version}";
}

static string FindRoot()
{
    var directory = new DirectoryInfo(AppContext.BaseDirectory);
    while (directory is not null && !File.Exists(Path.Combine(directory.FullName, "Sessions.sln")))
    {
        directory = directory.Parent;
    }
    return directory?.FullName ?? throw new InvalidOperationException("Run the bench from the repository (Sessions.sln not found).");
}

internal sealed record BenchOptions(int Users, TimeSpan Warmup, TimeSpan Duration, int ColdSessions, int Activations, string? Durability, bool WorkstationGc)
{
    public static BenchOptions Parse(string[] args)
    {
        string? Value(string name) => args.SkipWhile(a => a != name).Skip(1).FirstOrDefault();
        int Number(string name, int fallback) => Value(name) is { } text ? int.Parse(text, CultureInfo.InvariantCulture) : fallback;
        return new(Number("--users", 32), TimeSpan.FromSeconds(Number("--warmup", 3)), TimeSpan.FromSeconds(Number("--duration", 10)),
            Number("--cold-sessions", 3000), Number("--activations", 100_000), Value("--durability"), args.Contains("--workstation-gc"));
    }
}
