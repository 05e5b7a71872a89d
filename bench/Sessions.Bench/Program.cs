using System.Collections.Concurrent;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Text;
using Sessions.Bench;

// One command prints every scenario beside the machine's own ceiling, measured in the same run with the same client:
//   dotnet run -c Release --project bench/Sessions.Bench [-- --duration 10 --only regenerate,regenerate-rotating ...]
if (args is ["baseline-server", var portArgument])
{
    BaselineServer.Run(int.Parse(portArgument, CultureInfo.InvariantCulture));
    return 0;
}

// The loader must cost less per request than the server's cheapest endpoint. Socket completions run inline on the
// event thread (no thread-pool hop per answer), which only an environment variable turns on: so the bench starts
// itself again with it. The servers it starts do not inherit it (ServerProcess removes it): they run as shipped, with
// the runtime's defaults, unless --api-env or --ceiling-env gives it.
if (Environment.GetEnvironmentVariable(ServerProcess.InlineCompletions) != "1")
{
    var self = new System.Diagnostics.ProcessStartInfo("dotnet") { UseShellExecute = false };
    self.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "Sessions.Bench.dll"));
    foreach (var argument in args)
    {
        self.ArgumentList.Add(argument);
    }
    self.Environment[ServerProcess.InlineCompletions] = "1";
    using var child = System.Diagnostics.Process.Start(self)!;
    await child.WaitForExitAsync();
    return child.ExitCode;
}

BenchOptions options;
try
{
    options = BenchOptions.Parse(args);
}
catch (ArgumentException e)
{
    Console.Error.WriteLine(e.Message);
    return 2;
}
if (options.PerfDirectory is { } perfDirectory)
{
    Directory.CreateDirectory(perfDirectory);
    Profiler.Directory = Path.GetFullPath(perfDirectory);
    Console.WriteLine($"Profiling every scenario into {Profiler.Directory}: recording costs the servers CPU, so this run's ratios do not count.");
}
if (!Wrk.IsInstalled())
{
    Console.Error.WriteLine("The bench drives its fixed-body scenarios with wrk, which is not installed: apt-get install wrk");
    return 2;
}
var root = FindRoot();
var configuration = new DirectoryInfo(Path.TrimEndingDirectorySeparator(AppContext.BaseDirectory)).Parent!.Name;
var apiDll = Path.Combine(root, "src", "Api", "bin", configuration, "net10.0", "Sessions.Api.dll");
var siloDll = Path.Combine(root, "src", "Silo", "bin", configuration, "net10.0", "Sessions.Silo.dll");
var work = Path.Combine(Path.GetTempPath(), $"sessions-bench-{DateTime.UtcNow:yyyyMMdd-HHmmss}");
Directory.CreateDirectory(work);
using var workFolder = new WorkFolder(work);
Console.WriteLine($"Sessions benchmark: {options.Sessions} device sessions over {options.Connections} connections, "
    + $"{options.Warmup.TotalSeconds:F0} s warm-up + {options.Duration.TotalSeconds:F0} s per scenario, {configuration} build; logs in {work}");
Console.WriteLine(Machine());
Console.WriteLine($"Embedded store durability: {options.Durability ?? "Acknowledged (the default: group commit, nothing acknowledged is lost)"}");

var results = new List<(Measurement Row, Measurement Ceiling, Spread? Throughput, Spread? Cpu)>();
var introspectionSecret = Convert.ToHexString(RandomNumberGenerator.GetBytes(24));
var introspectionAuthorization = "Basic " + Convert.ToBase64String(Encoding.UTF8.GetBytes($"BENCHSTATIC:{introspectionSecret}"));
var otpHashKey = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));
var webhookSecret = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));
var signingSecrets = new[] { "BENCH", "BENCHSTATIC", "BENCHFLOOD", "BENCHBOUND", "BENCHSCALE" }.ToDictionary(b => b, _ => Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)));
// regenerate@half+token-flood: a brand that signs its tokens with ES256 (as one whose resource servers verify by its JWKS).
const string EcdsaBrand = "BENCHES256";
const string EcdsaKeyId = "benches256-es256";
string ecdsaKeyPem;
using (var ecdsaKey = ECDsa.Create(ECCurve.NamedCurves.nistP256))
{
    ecdsaKeyPem = ecdsaKey.ExportPkcs8PrivateKeyPem();
}

// The ceiling: a minimal endpoint that parses the same JSON and signs one HS256 JWT, under wrk and under the lean
// loader; the loader counts only if it reaches wrk's rate within 10 %. Its server runs for the whole bench, idle
// between its runs: every scenario is measured right after a ceiling run of its own, back to back, because the
// machine is shared and drifts.
var baselineBodies = Enumerable.Range(0, options.Sessions).Select(i => Encoding.UTF8.GetString(
    Loader.Json("BENCH", Scenarios.Mobile(i % Scenarios.Identifiers), $"device-{i}", ("key", new string('k', 380))))).ToList();
var baselinePort = FreePort.Next();
await using var baseline = await ServerProcess.StartAsync(Path.Combine(AppContext.BaseDirectory, "Sessions.Bench.dll"),
    ["baseline-server", baselinePort.ToString(CultureInfo.InvariantCulture)], BaselineEnvironment(), Path.Combine(work, "baseline.log"), baselinePort, "/ready");
await Wrk.MeasureAsync("jit warm-up", baseline, "/baseline", baselineBodies, work, options.Connections, TimeSpan.Zero, options.JitWarmup);
var ceiling = Report(await Wrk.MeasureAsync("ceiling", baseline, "/baseline", baselineBodies, work, options.Connections, options.Warmup, options.Duration));
var baselineRequests = baselineBodies.Select(b => LeanConnection.Post("/baseline", Encoding.UTF8.GetBytes(b))).ToList();
var leanCeiling = Report(await Loader.MeasureAsync("ceiling", baseline, Split(baselineRequests, options.Connections).Select(r => (IVirtualUser)new Scenarios.Cycling(r)).ToList(), options.Warmup, options.Duration));
var loaderAgreement = leanCeiling.RequestsPerSecond / ceiling.RequestsPerSecond;
Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
    $"  the lean loader reached {loaderAgreement:P0} of wrk's rate on the ceiling, back to back: {(loaderAgreement >= 0.9 ? "it costs no more than wrk per request" : "MORE THAN 10 % BELOW wrk: its rows flatter the server")}"));

var apiPort = FreePort.Next();
var environment = ApiEnvironment(apiPort, Path.Combine(work, "api-data"), options.Durability);
var server = await ServerProcess.StartAsync(apiDll, [], environment, Path.Combine(work, "api.log"), apiPort, "/health/live");
Measurement? regenerate = null;
try
{
    var staticSessions = await LogInAsync(server, "BENCHSTATIC", "static", options.Sessions);
    var staticBodies = staticSessions.Select(s => Encoding.UTF8.GetString(Loader.Json("BENCHSTATIC", s.Mobile, s.Device, ("key", s.Key)))).ToList();
    // A fresh process runs unoptimised code until tiered compilation catches up; give it time before anything counts.
    await Wrk.MeasureAsync("jit warm-up", server, Scenarios.RegeneratePath, staticBodies, work, options.Connections, TimeSpan.Zero, options.JitWarmup);
    if (options.Runs("regenerate"))
    {
        regenerate = await RecordRoundsAsync(() => Wrk.MeasureAsync("regenerate", server, Scenarios.RegeneratePath, staticBodies, work, options.Connections, options.Warmup, options.Duration));
    }

    if (options.Runs("introspect"))
    {
        // One USER token per device session (a regenerate of its static key hands one out), asked about again and again.
        using var connection = await LeanConnection.OpenAsync(server.Port);
        var tokens = new List<string>();
        foreach (var body in staticBodies)
        {
            var answer = await connection.SendAsync(LeanConnection.Post(Scenarios.RegeneratePath, Encoding.UTF8.GetBytes(body)));
            tokens.Add(answer.Status == 200 ? answer.Field("\"token\":\""u8)! : throw new InvalidOperationException($"set-up regenerate failed with {answer.Status}"));
        }
        var check = await connection.SendAsync(Scenarios.IntrospectionRequest(tokens[0], introspectionAuthorization));
        if (check.Body.Span.IndexOf("\"active\":true"u8) < 0)
        {
            throw new InvalidOperationException("set-up introspection did not answer active");
        }
        await RecordRoundsAsync(() => Wrk.MeasureAsync("introspect", server, Scenarios.IntrospectPath, [.. tokens.Select(Scenarios.IntrospectionBody)], work, options.Connections,
            options.Warmup, options.Duration, "application/x-www-form-urlencoded", introspectionAuthorization));
    }

    if (options.Runs("regenerate-bound") && regenerate is not null)
    {
        // regenerate with a device proof on every call: families bound to a device key, the same non-rotating brand
        // rules as regenerate, so the difference is the proof's verification and the family recording its id. Every
        // round has families of its own, enough for regenerate's rate at ProofsPerBoundFamily proofs each.
        var round = 0;
        var families = (int)Math.Ceiling(regenerate.RequestsPerSecond * (options.Warmup + options.Duration).TotalSeconds * 1.2 / Scenarios.ProofsPerBoundFamily);
        await RecordRoundsAsync(async () =>
        {
            var sessions = await LogInAsync(server, "BENCHBOUND", $"bound-{round++}", families);
            var requests = Scenarios.BoundRegenerates("BENCHBOUND", sessions, Scenarios.ProofsPerBoundFamily);
            var users = Split(requests, options.Connections).Select(r => (IVirtualUser)new Scenarios.Cycling(r)).ToList();
            return await Loader.MeasureAsync("regenerate-bound", server, users, options.Warmup, options.Duration);
        });
    }

    if (options.Runs("regenerate-rotating"))
    {
        await RotatingAsync(server, "regenerate-rotating");
    }

    if (options.Runs("login"))
    {
        var logins = Enumerable.Range(0, options.Connections).Select(u => (IVirtualUser)new Scenarios.Login("BENCH", Scenarios.Mobile(u % Scenarios.Identifiers), $"login-{u}")).ToList();
        await RecordRoundsAsync(() => Loader.MeasureAsync("login", server, logins, options.Warmup, options.Duration));
    }

    if (options.Runs("regenerate@half") && regenerate is not null)
    {
        var paced = PacedRegenerates();
        await RecordRoundsAsync(() => Loader.MeasureAsync("regenerate@half", server, paced, options.Warmup, options.Duration, PacedRate()));
    }

    if (options.Runs("regenerate@half+flood") && regenerate is not null)
    {
        // Wrong passwords for customers that have one, so each needs a PBKDF2 verification (the brand's limits are raised
        // so that no lock or attempt limit makes them cheap). The bounded pool takes what it can and refuses the rest with 429.
        var floodSessions = await Scenarios.OpenFloodSessionsAsync(server.Port, "BENCHFLOOD");
        await PacedUnderFloodAsync("regenerate@half+flood", $"password flood {Scenarios.FloodPerSecond}/s", floodSessions, Scenarios.FloodPerSecond);
    }

    if (options.Runs("regenerate@half+token-flood") && regenerate is not null)
    {
        // USER tokens that name the ES256 brand's real key but carry forged signatures: each costs the API one ECDSA
        // verification (about 80 µs) before its refusal (README, Under a forged-token flood).
        await PacedUnderFloodAsync("regenerate@half+token-flood", $"forged-token flood {Scenarios.TokenFloodPerSecond}/s",
            Scenarios.ForgedTokenRequests(EcdsaBrand, EcdsaKeyId), Scenarios.TokenFloodPerSecond);
    }

    // The static device sessions' regenerates over the scenario connections, and the rate they are paced at: half the
    // regenerate row's, or --paced-rate.
    List<IVirtualUser> PacedRegenerates() => Split(staticBodies.Select(b => LeanConnection.Post(Scenarios.RegeneratePath, Encoding.UTF8.GetBytes(b))).ToList(), options.Connections)
        .Select(r => (IVirtualUser)new Scenarios.Cycling(r)).ToList();
    double PacedRate() => options.PacedRate ?? regenerate!.RequestsPerSecond / 2;

    // The paced regenerate while a flood of anonymous requests arrives on connections of its own; the round with the
    // median p99 counts, and the flood gets its own row.
    async Task PacedUnderFloodAsync(string scenario, string floodName, IReadOnlyList<byte[]> floodRequests, int floodPerSecond)
    {
        var flood = Split(floodRequests, 8).Select(r => (IVirtualUser)new Scenarios.Cycling(r)).ToList();
        var paced = PacedRegenerates();
        var rounds = new List<(Measurement Regenerate, Measurement Flood, Measurement Ceiling)>();
        for (var round = 0; round < options.Rounds; round++)
        {
            await CeilingAsync();
            var floodRun = Loader.MeasureAsync(floodName, server, flood, options.Warmup, options.Duration, floodPerSecond);
            var regenerateRun = await Loader.MeasureAsync(scenario, server, paced, options.Warmup, options.Duration, PacedRate());
            rounds.Add((regenerateRun, await floodRun, ceiling));
        }
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"  {scenario}: p99 of the {rounds.Count} rounds {string.Join(", ", rounds.Select(r => r.Regenerate.Latency.P99.ToString("F2", CultureInfo.InvariantCulture)))} ms; the median round counts"));
        var median = rounds.OrderBy(r => r.Regenerate.Latency.P99).ElementAt(rounds.Count / 2);
        ceiling = median.Ceiling;
        Record(median.Regenerate);
        Record(median.Flood);
    }

    if (options.Runs("cold"))
    {
        // Device sessions created, then the API restarted, so that every regenerate activates its grain from the store.
        var cold = new ConcurrentQueue<(string Mobile, string Device, string Key)>(await LogInAsync(server, "BENCHSTATIC", "cold", options.ColdSessions));
        await server.DisposeAsync();
        server = await ServerProcess.StartAsync(apiDll, [], environment, Path.Combine(work, "api-restarted.log"), apiPort, "/health/live");
        // Warm the new process on the static device sessions only: the cold ones stay inactive until measured.
        await Wrk.MeasureAsync("jit warm-up", server, Scenarios.RegeneratePath, staticBodies, work, options.Connections, TimeSpan.Zero, options.JitWarmup);
        var coldUsers = Enumerable.Range(0, options.Connections).Select(_ => (IVirtualUser)new Scenarios.Cold("BENCHSTATIC", cold)).ToList();
        await CeilingAsync();
        Record(await Loader.MeasureAsync("cold", server, coldUsers, TimeSpan.Zero, TimeSpan.FromMinutes(5), stopWhenIdle: true));
    }
}
finally
{
    await server.DisposeAsync();
}

if (options.Runs("cluster"))
{
    await ClusterAsync();
}

if (options.Runs("rotating-redis"))
{
    await RotatingOnRedisAsync();
}

if (options.Only?.Contains("scale") == true)
{
    await ScaleAsync();
}

MemoryFigures? memory = null;
if (options.Runs("memory"))
{
    Console.WriteLine();
    Console.WriteLine($"Memory: opening {options.Activations:N0} device sessions on an in-process silo (store in its own process)...");
    memory = await MemoryProbe.RunAsync(siloDll, work, options.Activations);
}

PrintSummary();
return 0;

async Task<Measurement> RotatingAsync(IMeasuredServer api, string scenario)
{
    var sessions = await LogInAsync(api, "BENCH", scenario, options.Sessions);
    var users = Split(sessions, options.Connections).Select(s => (IVirtualUser)new Scenarios.RegenerateRotating("BENCH", s)).ToList();
    await Loader.MeasureAsync("jit warm-up", api, users, TimeSpan.Zero, options.JitWarmup / 2);
    return await RecordRoundsAsync(() => Loader.MeasureAsync(scenario, api, users, options.Warmup, options.Duration));
}

// The cost of the hop: an API in Client mode in front of 2 silos, the store in a process of its own (the embedded
// Garnet as a stand-in for Redis), all on this machine; the same regenerate as the co-hosted row.
async Task<Measurement> ClusterAsync()
{
    var storePort = FreePort.Next();
    var clusterId = $"bench-{Guid.NewGuid():N}";
    var shared = new Dictionary<string, string>(ApiEnvironment(0, Path.Combine(work, "cluster-data"), options.Durability))
    {
        ["Sessions__Storage__Mode"] = "Redis",
        ["ConnectionStrings__Redis"] = $"127.0.0.1:{storePort}",
        ["Sessions__Cluster__ClusterId"] = clusterId,
        ["Sessions__Cluster__ServiceId"] = clusterId,
        ["Sessions__Cluster__AdvertisedAddress"] = "127.0.0.1",
        // Production refuses Silo and Client mode without the cluster's certificate; these links stay on this host.
        ["Sessions__Cluster__AllowPlaintext"] = "true",
    };
    shared.Remove("ASPNETCORE_URLS");
    await using var store = await ServerProcess.StartAsync(siloDll, ["store"], new Dictionary<string, string>
    {
        ["Sessions__Storage__EmbeddedPort"] = storePort.ToString(CultureInfo.InvariantCulture),
        ["Sessions__Storage__DataDirectory"] = Path.Combine(work, "cluster-store"),
        ["Sessions__Storage__EmbeddedDurability"] = options.Durability ?? "Immediate",
        ["DOTNET_ENVIRONMENT"] = "Development",
    }, Path.Combine(work, "cluster-store.log"), storePort, readyPath: null);

    var silos = new List<ServerProcess>();
    try
    {
        for (var i = 0; i < 2; i++)
        {
            var gateway = FreePort.Next();
            silos.Add(await ServerProcess.StartAsync(siloDll, [], new Dictionary<string, string>(shared)
            {
                ["Sessions__Cluster__Mode"] = "Silo",
                ["Sessions__Cluster__SiloPort"] = FreePort.Next().ToString(CultureInfo.InvariantCulture),
                ["Sessions__Cluster__GatewayPort"] = gateway.ToString(CultureInfo.InvariantCulture),
            }, Path.Combine(work, $"cluster-silo-{i}.log"), gateway, readyPath: null));
        }
        var clientPort = FreePort.Next();
        await using var client = await ServerProcess.StartAsync(apiDll, [], new Dictionary<string, string>(shared)
        {
            ["Sessions__Cluster__Mode"] = "Client",
            ["ASPNETCORE_URLS"] = $"http://127.0.0.1:{clientPort}",
        }, Path.Combine(work, "cluster-api.log"), clientPort, "/health/ready");

        var group = ServerProcess.Group(client, [client, .. silos, store]);
        var sessions = await LogInAsync(group, "BENCHSTATIC", "cluster", options.Sessions);
        var bodies = sessions.Select(s => Encoding.UTF8.GetString(Loader.Json("BENCHSTATIC", s.Mobile, s.Device, ("key", s.Key)))).ToList();
        await Wrk.MeasureAsync("jit warm-up", group, Scenarios.RegeneratePath, bodies, work, options.Connections, TimeSpan.Zero, options.JitWarmup);
        return await RecordRoundsAsync(() => Wrk.MeasureAsync("regenerate (cluster)", group, Scenarios.RegeneratePath, bodies, work, options.Connections, options.Warmup, options.Duration));
    }
    finally
    {
        foreach (var silo in silos)
        {
            await silo.DisposeAsync();
        }
    }
}

// What the store's guarantee costs: regenerate-rotating with grain state on a real Redis, one durable primary, then a
// 3-primary, 3-replica Redis Cluster without and with every write waiting for its replica (RequireReplicaAcks=1).
async Task RotatingOnRedisAsync()
{
    if (!RedisStores.IsInstalled)
    {
        Console.WriteLine("  rotating-redis: skipped (apt-get install redis-server)");
        return;
    }
    foreach (var (name, cluster, acks) in new[]
    {
        ("regenerate-rotating (redis primary)", false, false),
        ("regenerate-rotating (redis cluster)", true, false),
        ("regenerate-rotating (redis cluster, acks)", true, true),
    })
    {
        var directory = Path.Combine(work, cluster ? acks ? "redis-cluster-acks" : "redis-cluster" : "redis-primary");
        await using var redis = cluster ? await RedisStores.ClusterAsync(directory) : await RedisStores.PrimaryAsync(directory);
        var port = FreePort.Next();
        var env = new Dictionary<string, string>(ApiEnvironment(port, Path.Combine(work, $"{directory}-api"), options.Durability))
        {
            ["Sessions__Storage__Mode"] = "Redis",
            ["ConnectionStrings__Redis"] = redis.ConnectionString,
            ["Sessions__Storage__RequireReplicaAcks"] = acks ? "1" : "0",
        };
        env.Remove("Sessions__Storage__EmbeddedDurability");
        await using var api = await ServerProcess.StartAsync(apiDll, [], env, Path.Combine(work, $"{Path.GetFileName(directory)}-api.log"), port, "/health/live");
        var group = ServerProcess.Group(api, [api, redis]);
        await RotatingAsync(group, name);
    }
}

// The growth curve: 10k, 100k and 1M device sessions in a store process (seeded by writing it directly), and at each
// size a fresh API (co-hosted silo, Redis mode on that store; with --scale-store embedded, the embedded default on the
// store's data directory) that has touched nothing: a warm working set of 1 % of the sessions under regenerate at full
// and half rate, the silo's memory with that set active, then cold activations.
async Task ScaleAsync()
{
    const string brand = "BENCHSCALE";
    // How long a process that recovers a store of up to a million or so sessions from its data directory may take to start.
    var recoveringStart = TimeSpan.FromMinutes(5);
    const int jitSessions = 64;
    var sweepKey = $"bench-sweep-{Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16))}";
    var sizes = options.ScaleSizes;
    var storePort = FreePort.Next();
    var storeData = Path.Combine(work, "scale-store");
    // Restarted (--scale-store embedded), the store first recovers every session the sizes before seeded, as an embedded
    // API does: it gets the same longer start.
    Task<ServerProcess> StartStoreAsync() => ServerProcess.StartAsync(siloDll, ["store"], new Dictionary<string, string>(StoreMemory())
    {
        ["Sessions__Storage__EmbeddedPort"] = storePort.ToString(CultureInfo.InvariantCulture),
        ["Sessions__Storage__DataDirectory"] = storeData,
        ["DOTNET_ENVIRONMENT"] = "Development",
    }, Path.Combine(work, "scale-store.log"), storePort, readyPath: null, readyWithin: recoveringStart);
    IEnumerable<KeyValuePair<string, string>> StoreMemory() => options.ScaleStoreMemory is { } megabytes
        ? [new("Sessions__Storage__EmbeddedMemoryMegabytes", megabytes.ToString(CultureInfo.InvariantCulture))]
        : [];
    var store = await StartStoreAsync();
    try
    {
        await using var seeder = await StoreSeeder.ConnectAsync(storePort, brand, environment, options.ScaleHistoryEvents);
        var rows = new List<string>();
        var seeded = 0;
        using var metricsClient = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
        Console.WriteLine();
        Console.WriteLine($"Scale: growing to {string.Join(", ", sizes.Select(n => n.ToString("N0", CultureInfo.InvariantCulture)))} device sessions in a store process; "
            + (options.ScaleEmbedded
                ? "at each size the store stops and a fresh API opens its data directory as its embedded store (memory figures are the API's with its store)."
                : "a fresh API at each size."));
        foreach (var size in sizes)
        {
            if (store is null)
            {
                store = await StartStoreAsync();
                await seeder.WaitForStoreAsync();
            }
            var seeding = System.Diagnostics.Stopwatch.StartNew();
            await seeder.SeedAsync(seeded, size);
            seeding.Stop();
            seeded = size;
            var storeBytes = await seeder.BytesPerSessionAsync(size);
            if (options.ScaleHistoryEvents > 0)
            {
                Console.WriteLine($"  histories @{size:N0}: one per session, {options.ScaleHistoryEvents} events each, {await seeder.BytesPerHistoryAsync(size):F0} bytes each in the store (MEMORY USAGE)");
            }
            var diskBytes = Directory.EnumerateFiles(storeData, "*", SearchOption.AllDirectories).Sum(f => new FileInfo(f).Length) / (double)size;
            if (options.ScaleEmbedded)
            {
                // One process on a data directory: the store checkpoints as it stops (SIGTERM), and the API recovers from it.
                await store.DisposeAsync();
                store = null;
            }
            rows.Add(await MeasureScaleAsync(size, storeBytes, diskBytes, seeding.Elapsed, seeder, metricsClient));
        }
        Console.WriteLine();
        var rss = options.ScaleEmbedded ? "API and store RSS" : "silo RSS";
        Console.WriteLine($"| device sessions stored | seeding | store bytes/session (MEMORY USAGE) | disk bytes/session | active (1 %) | {rss} idle MiB | {rss}, 1 % active, MiB | RSS per further activation, bytes | cold activations/s | cold p99 ms | warm regenerate/s | cold ÷ warm | cold CPU µs/activation (API process) | warm CPU µs/regenerate | cold ÷ warm by CPU | collections during the cold run (gen0/gen1/gen2, paused) | p99 at half rate ms | store sweep (time, states/s, API CPU µs per state) | errors (warm, half, cold) |");
        Console.WriteLine("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|---:|---|---|");
        rows.ForEach(Console.WriteLine);
    }
    finally
    {
        if (store is not null)
        {
            await store.DisposeAsync();
        }
    }

    async Task<string> MeasureScaleAsync(int size, double storeBytes, double diskBytes, TimeSpan seeding, StoreSeeder seeder, HttpClient metricsClient)
    {
        var port = FreePort.Next();
        // /metrics on a port of its own, as a deployment serves it, for the collector's counts around the cold run.
        var metricsPort = FreePort.Next();
        var env = new Dictionary<string, string>(ApiEnvironment(port, Path.Combine(work, $"scale-api-{size}"), options.Durability))
        {
            ["ASPNETCORE_URLS"] = $"http://127.0.0.1:{port};http://127.0.0.1:{metricsPort}",
            ["Sessions__Metrics__Port"] = metricsPort.ToString(CultureInfo.InvariantCulture),
            // For starting the store sweep once the rest is measured.
            ["Sessions__Admin__ApiKeys__0__Id"] = "bench",
            ["Sessions__Admin__ApiKeys__0__Key"] = sweepKey,
        };
        if (options.ScaleEmbedded)
        {
            env["Sessions__Storage__DataDirectory"] = storeData;
            foreach (var (name, value) in StoreMemory())
            {
                env[name] = value;
            }
        }
        else
        {
            env["Sessions__Storage__Mode"] = "Redis";
            env["ConnectionStrings__Redis"] = $"127.0.0.1:{storePort}";
            env.Remove("Sessions__Storage__EmbeddedDurability");
        }
        // An embedded API first recovers the whole store from its data directory, which takes longer the more it holds.
        await using var api = await ServerProcess.StartAsync(apiDll, [], env, Path.Combine(work, $"scale-api-{size}.log"), port, "/health/ready",
            readyWithin: options.ScaleEmbedded ? recoveringStart : null);
        var idleBytes = api.WorkingSetBytes;

        // JIT warm-up on sessions of their own; then the warm working set, 1 % of the sessions, activated once and
        // regenerated at full speed and at half of it, and the silo's memory with only that set (and the 64) active.
        var jitBodies = Enumerable.Range(0, jitSessions).Select(i => ScaleBody(brand, i, seeder.Key(i))).ToList();
        await Wrk.MeasureAsync("jit warm-up", api, Scenarios.RegeneratePath, jitBodies, work, options.Connections, TimeSpan.Zero, options.JitWarmup);
        var active = Math.Max(jitSessions, size / 100);
        List<IVirtualUser> OnceEach(int from, int count)
        {
            var sessions = new ConcurrentQueue<(string Mobile, string Device, string Key)>(Enumerable.Range(from, count)
                .Select(i =>
                {
                    var (mobile, device) = StoreSeeder.Session(i);
                    return (mobile, device, seeder.Key(i));
                }));
            return [.. Enumerable.Range(0, options.Connections).Select(_ => (IVirtualUser)new Scenarios.Cold(brand, sessions))];
        }
        await Loader.MeasureAsync("activate", api, OnceEach(jitSessions, active), TimeSpan.Zero, TimeSpan.FromMinutes(10), stopWhenIdle: true);
        var warmRequests = Enumerable.Range(jitSessions, active).Select(i => LeanConnection.Post(Scenarios.RegeneratePath, Encoding.UTF8.GetBytes(ScaleBody(brand, i, seeder.Key(i))))).ToList();
        var users = Split(warmRequests, options.Connections).Select(r => (IVirtualUser)new Scenarios.Cycling(r)).ToList();
        var full = Report(await Loader.MeasureAsync($"regenerate @{size:N0}", api, users, options.Warmup, options.Duration));
        var half = Report(await Loader.MeasureAsync($"regenerate@half @{size:N0}", api, users, options.Warmup, options.Duration, full.RequestsPerSecond / 2));
        var activeBytes = api.WorkingSetBytes;

        // Cold activations: activation has code paths of its own, which tiered compilation takes tens of seconds to finish
        // with, so up to 100,000 cold sessions warm them first (a long-running silo activates cold grains all day with
        // its code compiled); then others, never touched since the restart, are measured.
        var coldCount = Math.Min(options.ScaleCold, size / 5);
        var warmupCount = Math.Min(100_000, size - coldCount - jitSessions - active);
        await Loader.MeasureAsync("activation warm-up", api, OnceEach(jitSessions + active, warmupCount), TimeSpan.Zero, TimeSpan.FromMinutes(5), stopWhenIdle: true);
        var (coldMeasured, coldCollections) = await GcCounts.AroundAsync(metricsClient, metricsPort,
            () => Loader.MeasureAsync($"cold @{size:N0}", api, OnceEach(size - coldCount, coldCount), TimeSpan.Zero, TimeSpan.FromMinutes(5), stopWhenIdle: true));
        var coldRun = Report(coldMeasured);
        Console.WriteLine($"  the collector during the cold run: {coldCollections} (collections of gen0/gen1/gen2, time paused)");
        var manyBytes = api.WorkingSetBytes;
        var perActivation = (manyBytes - activeBytes) / (double)(warmupCount + coldCount);
        var sweep = await MeasureSweepAsync(api, sweepKey);
        Console.WriteLine($"  store sweep @{size:N0}: read {sweep.Read:N0} states in {sweep.Seconds:F1} s, {sweep.Read / sweep.Seconds:N0} states/s, "
            + $"{sweep.CpuMicroseconds:F1} µs of API CPU per state (nothing had ended: every seeded session is live"
            + (options.ScaleHistoryEvents > 0 ? $"; beside them a customer's history per session, {options.ScaleHistoryEvents} events each, none waiting for the webhook)" : ")"));
        return string.Create(CultureInfo.InvariantCulture,
            $"| {size:N0} | {seeding.TotalSeconds:F0} s | {storeBytes:F0} | {diskBytes:F0} | {active:N0} | {idleBytes / 1048576.0:F0} | {activeBytes / 1048576.0:F0} | {perActivation:F0} | {coldRun.RequestsPerSecond:N0} | {coldRun.Latency.P99:F1} | {full.RequestsPerSecond:N0} | {coldRun.RequestsPerSecond / full.RequestsPerSecond:F2} | {coldRun.CpuMicrosecondsPerRequest:F0} | {full.CpuMicrosecondsPerRequest:F0} | {full.CpuMicrosecondsPerRequest / coldRun.CpuMicrosecondsPerRequest:F2} | {coldCollections} | {half.Latency.P99:F2} | {sweep.Seconds:F1} s, {sweep.Read / sweep.Seconds:N0}/s, {sweep.CpuMicroseconds:F1} µs | {full.ErrorText}, {half.ErrorText}, {coldRun.ErrorText} |");
    }

    // The store sweep started through the admin API, as an operator would, and waited for: its wall time, the states it
    // read, and the API process's CPU per state (the embedded store's reads are in that process; a Redis's are not).
    static async Task<(double Seconds, long Read, double CpuMicroseconds)> MeasureSweepAsync(ServerProcess api, string key)
    {
        using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{api.Port}"), Timeout = TimeSpan.FromSeconds(30) };
        http.DefaultRequestHeaders.Authorization = new("Bearer", key);
        var cpu = api.CpuTime;
        var clock = System.Diagnostics.Stopwatch.StartNew();
        using (var started = await http.PostAsync("/admin/v1/store/sweep", null))
        {
            started.EnsureSuccessStatusCode();
        }
        while (true)
        {
            await Task.Delay(TimeSpan.FromMilliseconds(200));
            var status = System.Text.Json.JsonDocument.Parse(await http.GetStringAsync("/admin/v1/store/sweep")).RootElement;
            if (!status.GetProperty("running").GetBoolean() && status.GetProperty("last") is { ValueKind: System.Text.Json.JsonValueKind.Object } last)
            {
                var read = last.GetProperty("read").GetInt64();
                return (last.GetProperty("seconds").GetDouble(), read, (api.CpuTime - cpu).TotalMicroseconds / Math.Max(1, read));
            }
            if (clock.Elapsed > TimeSpan.FromMinutes(10))
            {
                throw new TimeoutException("the store sweep did not finish within 10 minutes");
            }
        }
    }
}

static string ScaleBody(string brand, int index, string key)
{
    var (mobile, device) = StoreSeeder.Session(index);
    return Encoding.UTF8.GetString(Loader.Json(brand, mobile, device, ("key", key)));
}

async Task<List<(string Mobile, string Device, string Key)>> LogInAsync(IMeasuredServer api, string brand, string prefix, int count)
{
    var sessions = new ConcurrentBag<(int, string, string, string)>();
    await Parallel.ForAsync(0, options.Connections, async (worker, _) =>
    {
        using var connection = await LeanConnection.OpenAsync(api.Port);
        for (var i = worker; i < count; i += options.Connections)
        {
            var mobile = Scenarios.Mobile(i % Scenarios.Identifiers);
            var device = $"{prefix}-{i}";
            var (status, key) = await Scenarios.MfaLoginAsync(connection, brand, mobile, device);
            sessions.Add(status == 200 ? (i, mobile, device, key!) : throw new InvalidOperationException($"set-up login failed with {status}"));
        }
    });
    return [.. sessions.OrderBy(s => s.Item1).Select(s => (s.Item2, s.Item3, s.Item4))];
}

static List<List<T>> Split<T>(IReadOnlyList<T> items, int parts) =>
    [.. Enumerable.Range(0, Math.Min(parts, items.Count)).Select(p => items.Where((_, i) => i % parts == p).ToList())];

// Rounds of a ceiling run and a scenario run, alternating which goes first, so that a host whose speed drifts within a
// round favours neither. Two ratios per round: throughput (scenario ÷ ceiling requests/s) and CPU (ceiling ÷ scenario
// server CPU µs per request). The median of each is the scenario's figure, with the spread of the rounds beside it; the
// round with the median throughput ratio supplies the row's other columns.
async Task<Measurement> RecordRoundsAsync(Func<Task<Measurement>> measure)
{
    var rounds = new List<(Measurement Row, Measurement Ceiling)>();
    for (var round = 0; round < options.Rounds; round++)
    {
        var ceilingBefore = round % 2 == 0 ? await CeilingAsync() : null;
        var row = await measure();
        rounds.Add((row, ceilingBefore ?? await CeilingAsync()));
    }
    static double ThroughputRatio((Measurement Row, Measurement Ceiling) r) => r.Row.RequestsPerSecond / r.Ceiling.RequestsPerSecond;
    var throughput = Spread.Of(rounds.Select(ThroughputRatio));
    var cpu = Spread.Of(rounds.Select(r => r.Row.CpuMicrosecondsPerRequest == 0 ? 0 : r.Ceiling.CpuMicrosecondsPerRequest / r.Row.CpuMicrosecondsPerRequest));
    // The round whose other columns the row prints: the middle one, or the lower of the two middle ones.
    var median = rounds.OrderBy(ThroughputRatio).ElementAt((rounds.Count - 1) / 2);
    if (rounds.Count > 1)
    {
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"  {median.Row.Scenario}: {rounds.Count} interleaved rounds; throughput ratio median {throughput}; CPU ratio median {cpu}"));
    }
    ceiling = median.Ceiling;
    return Record(median.Row, throughput, cpu);
}

async Task<Measurement> CeilingAsync() =>
    ceiling = await Wrk.MeasureAsync("ceiling", baseline, "/baseline", baselineBodies, work, options.Connections, options.Warmup, options.Duration);

Measurement Record(Measurement row, Spread? throughput = null, Spread? cpu = null)
{
    results.Add((row, ceiling, throughput, cpu));
    Report(row, ceiling);
    return row;
}

static Measurement Report(Measurement m, Measurement? ceiling = null)
{
    var ratio = ceiling is null ? "" : string.Create(CultureInfo.InvariantCulture, $"  {m.RequestsPerSecond / ceiling.RequestsPerSecond:F2} of the ceiling ({ceiling.RequestsPerSecond:N0}/s)");
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
        $"  {m.Scenario,-22} {m.Client,-11} {m.OperationsPerSecond,9:N0} ops/s  p50 {m.Latency.P50,6:F2} ms  p99 {m.Latency.P99,7:F2} ms  {m.CpuMicrosecondsPerRequest,5:F0} µs CPU/request  errors {m.ErrorText}{ratio}"));
    return m;
}

void PrintSummary()
{
    Console.WriteLine();
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
        $"Ratios: throughput = scenario ÷ ceiling (wrk) requests/s, CPU = ceiling ÷ scenario server CPU µs per request, each the median of {options.Rounds} interleaved round(s) [lowest–highest]. The lean loader reached {loaderAgreement:P0} of wrk's rate on the ceiling."));
    Console.WriteLine();
    Console.WriteLine("| scenario | client | ops/s | requests/s | ceiling/s | throughput ratio | CPU ratio | p50 ms | p90 ms | p99 ms | errors | server CPU µs/request | ceiling CPU µs/request |");
    Console.WriteLine("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---|---:|---:|");
    foreach (var (m, c, throughput, cpu) in results)
    {
        var throughputText = throughput?.ToString() ?? (m.RequestsPerSecond / c.RequestsPerSecond).ToString("F2", CultureInfo.InvariantCulture);
        var cpuText = cpu?.ToString() ?? (m.CpuMicrosecondsPerRequest == 0 ? "" : (c.CpuMicrosecondsPerRequest / m.CpuMicrosecondsPerRequest).ToString("F2", CultureInfo.InvariantCulture));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"| {m.Scenario} | {m.Client} | {m.OperationsPerSecond:N0} | {m.RequestsPerSecond:N0} | {c.RequestsPerSecond:N0} | {throughputText} | {cpuText} | {m.Latency.P50:F2} | {m.Latency.P90:F2} | {m.Latency.P99:F2} | {m.ErrorText} | {m.CpuMicrosecondsPerRequest:F0} | {c.CpuMicrosecondsPerRequest:F0} |"));
    }

    var coHosted = results.FirstOrDefault(r => r.Row.Scenario == "regenerate").Row;
    var cluster = results.FirstOrDefault(r => r.Row.Scenario == "regenerate (cluster)").Row;
    if (coHosted is not null && cluster is not null)
    {
        Console.WriteLine();
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"Cluster hop: {cluster.RequestsPerSecond:N0} regenerates/s through an API client and 2 silos against {coHosted.RequestsPerSecond:N0}/s co-hosted "
            + $"({cluster.RequestsPerSecond / coHosted.RequestsPerSecond:P0}); {cluster.CpuMicrosecondsPerRequest:F0} µs of CPU per request over all four processes against {coHosted.CpuMicrosecondsPerRequest:F0} µs."));
    }
    if (memory is { } figures)
    {
        Console.WriteLine();
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"Memory: {figures.BytesPerGrain:N0} bytes per active device-session grain ({figures.Activations:N0} activations); "
            + $"{figures.BytesPerStoredSession:N0} bytes per stored session as the store reports it ({figures.StoredValueBytes:N0} bytes of key and value)."));
    }
}

Dictionary<string, string> ApiEnvironment(int port, string data, string? durability)
{
    var env = new Dictionary<string, string>
    {
        // The API as it is deployed: Production's pipeline and guards, and the per-address rate limiter on every
        // request. Its limits are above anything the bench's one address sends, so that it counts every request and
        // refuses none (a deployment behind a proxy pays the same per request over many addresses).
        ["ASPNETCORE_ENVIRONMENT"] = "Production",
        ["Sessions__RateLimit__PerMinute"] = "1000000000",
        ["Sessions__RateLimit__OtpPerMinute"] = "1000000000",
        ["ASPNETCORE_URLS"] = $"http://127.0.0.1:{port}",
        ["Sessions__Storage__DataDirectory"] = data,
        ["Sessions__Cluster__SiloPort"] = FreePort.Next().ToString(CultureInfo.InvariantCulture),
        ["Sessions__Cluster__GatewayPort"] = "0",
        // Every bench identifier is a test identifier, whose fixed code is answered and never sent: the webhook is never called.
        ["Sessions__Otp__Sender"] = "Webhook",
        ["Sessions__Otp__Webhook__Url"] = "https://127.0.0.1:9/never-called",
        ["Sessions__Otp__Webhook__Secret"] = webhookSecret,
        ["Sessions__Otp__HashKey"] = otpHashKey,
        ["Logging__LogLevel__Default"] = "Warning",
    };
    foreach (var (brand, secret) in signingSecrets)
    {
        env[$"Sessions__Brands__{brand}__OrgId"] = "1";
        env[$"Sessions__Brands__{brand}__OrgUser"] = "bench";
        // HS256 like the baseline, so the ratios compare the same signature.
        env[$"Sessions__Brands__{brand}__SigningKeys__0__Id"] = $"{brand.ToLowerInvariant()}-hs256";
        env[$"Sessions__Brands__{brand}__SigningKeys__0__Secret"] = secret;
        for (var i = 0; i < Scenarios.Identifiers; i++)
        {
            env[$"Sessions__Brands__{brand}__TestIdentifiers__{i}__IdentifierType"] = "MOBILE";
            env[$"Sessions__Brands__{brand}__TestIdentifiers__{i}__IdentifierValue"] = Scenarios.Mobile(i);
            env[$"Sessions__Brands__{brand}__TestIdentifiers__{i}__Otp"] = Scenarios.Otp;
        }
    }
    env["Sessions__Brands__BENCHSTATIC__RotateKeyOnRegenerate"] = "false";
    // scale: seeded MFA families whose keys are presented again and again.
    env["Sessions__Brands__BENCHSCALE__RotateKeyOnRegenerate"] = "false";
    // regenerate-bound: BENCHSTATIC's rules with device binding; proofs are made before a round, so a 5-minute window,
    // and a round's families spread over the 64 test identifiers.
    env["Sessions__Brands__BENCHBOUND__RotateKeyOnRegenerate"] = "false";
    env["Sessions__Brands__BENCHBOUND__DeviceBinding"] = "Optional";
    env["Sessions__Brands__BENCHBOUND__DeviceProofWindowSeconds"] = "300";
    env["Sessions__Brands__BENCHBOUND__MaxDeviceSessions"] = "1000";
    // The flood's customers: no lock and no attempt limit, so that every wrong password costs a verification.
    env["Sessions__Brands__BENCHFLOOD__Lockout__MaxFailures"] = "1000000";
    env["Sessions__Brands__BENCHFLOOD__Password__MaxAttempts"] = "1000000";
    env["Sessions__Brands__BENCHSTATIC__IntrospectionSecret"] = introspectionSecret;
    env[$"Sessions__Brands__{EcdsaBrand}__OrgId"] = "1";
    env[$"Sessions__Brands__{EcdsaBrand}__OrgUser"] = "bench";
    env[$"Sessions__Brands__{EcdsaBrand}__SigningKeys__0__Id"] = EcdsaKeyId;
    env[$"Sessions__Brands__{EcdsaBrand}__SigningKeys__0__Algorithm"] = "ES256";
    env[$"Sessions__Brands__{EcdsaBrand}__SigningKeys__0__PrivateKeyPem"] = ecdsaKeyPem;
    if (durability is not null)
    {
        env["Sessions__Storage__EmbeddedDurability"] = durability;
    }
    if (options.WorkstationGc)
    {
        env["DOTNET_gcServer"] = "0";
    }
    foreach (var (name, value) in options.ApiEnvironment)
    {
        env[name] = value;
    }
    return env;
}

// The ceiling runs with the API's garbage collector, as Api.csproj sets it (the bench's own, the loader's, is a small
// workstation heap).
Dictionary<string, string> BaselineEnvironment()
{
    var env = new Dictionary<string, string>
    {
        ["DOTNET_gcServer"] = options.WorkstationGc ? "0" : "1",
        ["DOTNET_gcConcurrent"] = "1",
        ["DOTNET_GCDynamicAdaptationMode"] = "0",
    };
    foreach (var (name, value) in options.CeilingEnvironment)
    {
        env[name] = value;
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

internal sealed partial record BenchOptions(int Sessions, int Connections, TimeSpan Warmup, TimeSpan Duration, int Rounds, int ColdSessions, int Activations, string? Durability, bool WorkstationGc,
    string[]? Only, IReadOnlyList<(string Name, string Value)> ApiEnvironment, IReadOnlyList<(string Name, string Value)> CeilingEnvironment, string? PerfDirectory,
    int[] ScaleSizes, int ScaleCold, bool ScaleEmbedded, int? ScaleStoreMemory, int ScaleHistoryEvents, double? PacedRate)
{
    public static BenchOptions Parse(string[] args)
    {
        string? Value(string name) => args.SkipWhile(a => a != name).Skip(1).FirstOrDefault();
        // A number the bench cannot read ends the run with the option's name, as a refused --api-env does, not a stack trace.
        int Whole(string name, string text) =>
            int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var number) ? number : throw new ArgumentException($"{name} {text}: a whole number.");
        int Number(string name, int fallback) => Value(name) is { } text ? Whole(name, text) : fallback;
        List<(string, string)> Settings(string name) =>
            [.. args.Select((a, i) => (a, i)).Where(x => x.a == name && x.i + 1 < args.Length).Select(x => RuntimeSetting(name, args[x.i + 1]))];
        return new(Number("--sessions", 64), Number("--connections", 32), TimeSpan.FromSeconds(Number("--warmup", 3)), TimeSpan.FromSeconds(Number("--duration", 10)),
            Math.Max(1, Number("--rounds", 5)), Number("--cold-sessions", 3000), Number("--activations", 100_000), Value("--durability"), args.Contains("--workstation-gc"),
            Value("--only")?.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries),
            // --api-env NAME=VALUE (repeatable): a runtime or configuration setting for the API processes only, to try one.
            Settings("--api-env"),
            // --ceiling-env NAME=VALUE (repeatable): the same for the ceiling's process.
            Settings("--ceiling-env"),
            // --perf DIR: a perf profile of the servers over each measured window (Profiler).
            Value("--perf"),
            // --scale-sizes 10000,100000,1000000: the sizes of the scale scenario (which runs only when --only names it).
            Value("--scale-sizes") is { } sizes ? [.. sizes.Split(',').Select(n => Whole("--scale-sizes", n))] : [10_000, 100_000, 1_000_000],
            // --scale-cold N: the most cold activations scale measures at one size (a fifth of the size at most).
            Number("--scale-cold", 20_000) is > 0 and var cold ? cold : throw new ArgumentException("--scale-cold: at least 1."),
            // --scale-store process|embedded: where scale's API reads the seeded sessions: from the store process over the
            // Redis protocol (the default, so that the silo's memory is the silo's), or from its own embedded store on
            // the same data directory (the embedded default, which reads in process; its memory then holds the store's too).
            Value("--scale-store") switch
            {
                null or "process" => false,
                "embedded" => true,
                var store => throw new ArgumentException($"--scale-store {store}: process or embedded."),
            },
            // --scale-store-memory MiB: the store's Sessions:Storage:EmbeddedMemoryMegabytes (the store process's, and the
            // embedded API's on its data directory), to measure a store that keeps every session in memory.
            Value("--scale-store-memory") is { } memory ? Whole("--scale-store-memory", memory) : null,
            // --scale-history-events N: seed a security history of N events for each session's customer (none by
            // default), so that the store sweep is measured with them in the store (it reads only the marks of
            // histories with events waiting for the webhook, but scans past every history's key).
            Number("--scale-history-events", 0) is >= 0 and <= 100 and var events ? events : throw new ArgumentException("--scale-history-events: 0 to 100 (a history keeps 100)."),
            // --paced-rate N: the requests per second of regenerate@half and its flood variants, instead of half of the
            // regenerate row's rate, so that runs of two builds compare at the same load.
            Value("--paced-rate") is { } rate
                ? double.TryParse(rate, NumberStyles.Float, CultureInfo.InvariantCulture, out var paced) && paced > 0 ? paced : throw new ArgumentException($"--paced-rate {rate}: requests per second, above 0.")
                : null);
    }

    /// <summary>
    /// One <c>NAME=VALUE</c> of <c>--api-env</c> or <c>--ceiling-env</c>. The runtime reads a number in a
    /// <c>DOTNET_GC…</c> (or <c>COMPlus_GC…</c>) variable as hexadecimal, up to the first character that is not, so
    /// <c>DOTNET_GCgen0size=256MB</c> would ask for 0x256 bytes and measure the defaults under another name, and
    /// <c>=268435456</c> would ask for 10 GB: both are refused, with the value to write instead.
    /// </summary>
    private static (string, string) RuntimeSetting(string option, string setting)
    {
        if (setting.Split('=', 2) is not [{ Length: > 0 } name, var value])
        {
            throw new ArgumentException($"{option} {setting}: write NAME=VALUE.");
        }
        if (!name.StartsWith("DOTNET_GC", StringComparison.OrdinalIgnoreCase) && !name.StartsWith("COMPlus_GC", StringComparison.OrdinalIgnoreCase))
        {
            return (name, value);
        }
        if (SizeWithUnit().Match(value) is { Success: true } size)
        {
            var bytes = long.Parse(size.Groups["number"].Value, CultureInfo.InvariantCulture)
                << char.ToUpperInvariant(size.Groups["unit"].Value[0]) switch { 'K' => 10, 'M' => 20, _ => 30 };
            throw new ArgumentException($"{option} {setting}: the runtime reads this as hexadecimal up to the unit (0x{size.Groups["number"].Value} bytes); write 0x{bytes:X}.");
        }
        if (value.Length > 1 && value.All(char.IsAsciiDigit))
        {
            var decimalMeant = long.TryParse(value, CultureInfo.InvariantCulture, out var number) ? $", or 0x{number:X} for {value} in decimal" : "";
            throw new ArgumentException($"{option} {setting}: the runtime reads this number as hexadecimal; write 0x{value} if that is meant{decimalMeant}.");
        }
        return (name, value);
    }

    [System.Text.RegularExpressions.GeneratedRegex("^(?<number>[0-9]{1,9}) ?(?<unit>[KMG])i?B?$", System.Text.RegularExpressions.RegexOptions.IgnoreCase)]
    private static partial System.Text.RegularExpressions.Regex SizeWithUnit();

    /// <summary>
    /// How long a fresh API is loaded before anything counts: tiered compilation (with its instrumented tier) needs
    /// far longer than the warm-up of a scenario to reach the code a long-running server runs.
    /// </summary>
    public TimeSpan JitWarmup => Warmup * 8;

    /// <summary>Whether a scenario runs: all do, unless <c>--only a,b</c> names some.</summary>
    public bool Runs(string scenario) => Only is null || Only.Contains(scenario, StringComparer.Ordinal);
}

/// <summary>The median of a scenario's rounds and their lowest and highest, as the bench prints them.</summary>
internal sealed record Spread(double Median, double Lowest, double Highest)
{
    public static Spread Of(IEnumerable<double> rounds)
    {
        var sorted = rounds.Order().ToList();
        var middle = sorted.Count / 2;
        // An even number of rounds has two middle ones: the median is their mean, not the higher of them.
        var median = sorted.Count % 2 == 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
        return new Spread(median, sorted[0], sorted[^1]);
    }

    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"{Median:F2} [{Lowest:F2}–{Highest:F2}]");
}
