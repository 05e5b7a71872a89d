extern alias api;

using System.Security.Cryptography;
using System.Text;
using api::Sessions.Api.Requests;
using api::Sessions.Api.Tokens;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Orleans.Configuration;
using Orleans.Runtime;
using Orleans.Serialization;
using Sessions.Grains.Configuration;
using Sessions.Grains.Contracts;
using Sessions.Grains.Customers;
using Sessions.Grains.DeviceSessions;
using Sessions.Grains.Identity;
using Sessions.Silo.Storage;
using StackExchange.Redis;

namespace Sessions.Bench;

/// <summary>
/// Seeds device sessions for the <c>scale</c> scenario by writing the store directly, as the silo's storage would: one
/// device-session state per session, holding an MFA key family, serialised by the Orleans serializer under the state
/// key the silo reads (<see cref="GrainStateKeys"/>, fields <c>etag</c> and <c>data</c>). A login through the API costs several grain writes and an OTP each, so a million would take hours; a
/// direct write takes microseconds. The key of a session is minted on demand, for the sessions a measurement presents,
/// by the API's own <see cref="TokenIssuer"/> from the API's configuration, so it is the key the API would have handed out.
/// With history events asked for (<c>--scale-history-events</c>), each session's customer also gets a security history
/// of that many delivered logins, which the store sweep scans past.
/// </summary>
internal sealed class StoreSeeder : IAsyncDisposable
{
    // The key function the silo's storage uses, for the default ServiceId the bench's servers run with.
    private static readonly GrainStateKeys StateKeys = new(Options.Create(new ClusterOptions { ServiceId = "sessions" }));
    private static readonly RedisValue EtagField = "etag";
    private static readonly RedisValue DataField = "data";

    private readonly ConnectionMultiplexer _redis;
    private readonly ServiceProvider _services;
    private readonly Serializer _serializer;
    private readonly string _brand;
    private readonly BrandOptions _brandOptions;
    private readonly TokenIssuer _issuer;
    private readonly DateTimeOffset _issuedAt = DateTimeOffset.UtcNow;
    private readonly int _historyEvents;

    private StoreSeeder(ConnectionMultiplexer redis, string brand, IReadOnlyDictionary<string, string> apiEnvironment, int historyEvents)
    {
        _redis = redis;
        _brand = brand;
        _historyEvents = historyEvents;
        _services = new ServiceCollection().AddSerializer(b => b.AddAssembly(typeof(DeviceSessionState).Assembly)).BuildServiceProvider();
        _serializer = _services.GetRequiredService<Serializer>();

        // The API reads its environment's Sessions__… variables as the Sessions section; so does the seeder.
        var configuration = new ConfigurationBuilder()
            .AddInMemoryCollection(apiEnvironment.Select(v => KeyValuePair.Create(v.Key.Replace("__", ":", StringComparison.Ordinal), (string?)v.Value)))
            .Build();
        var options = Options.Create(configuration.GetSection(SessionsOptions.SectionName).Get<SessionsOptions>()
            ?? throw new InvalidOperationException("The API's environment has no Sessions section."));
        _brandOptions = options.Value.Brands[brand];
        _issuer = new TokenIssuer(new SigningKeyRing(options), options, TimeProvider.System);
    }

    /// <summary>
    /// Connects to the store on <paramref name="port"/>, and signs keys as an API started with <paramref name="apiEnvironment"/>
    /// does; each session's customer gets a history of <paramref name="historyEvents"/> events (none when 0).
    /// </summary>
    public static async Task<StoreSeeder> ConnectAsync(int port, string brand, IReadOnlyDictionary<string, string> apiEnvironment, int historyEvents) =>
        new(await ConnectionMultiplexer.ConnectAsync($"127.0.0.1:{port},syncTimeout=30000,asyncTimeout=30000"), brand, apiEnvironment, historyEvents);

    /// <summary>Waits until the connection is back after the store process was restarted, so that seeding times only the writes.</summary>
    public async Task WaitForStoreAsync()
    {
        var deadline = DateTime.UtcNow.AddMinutes(1);
        while (!_redis.IsConnected)
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException("The restarted store process did not take the seeder's connection back within a minute.");
            }
            await Task.Delay(100);
        }
    }

    /// <summary>The identifier and device of session <paramref name="index"/>: 64 phone numbers (the brand's test identifiers), a device each.</summary>
    public static (string Mobile, string Device) Session(int index) => (Scenarios.Mobile(index % Scenarios.Identifiers), $"scale-{index}");

    /// <summary>Writes sessions [<paramref name="from"/>, <paramref name="to"/>) in pipelined batches.</summary>
    public async Task SeedAsync(int from, int to)
    {
        var database = _redis.GetDatabase();
        const int batch = 2_000;
        for (var start = from; start < to; start += batch)
        {
            var writes = new List<Task>(batch);
            for (var i = start; i < Math.Min(to, start + batch); i++)
            {
                writes.Add(database.HashSetAsync(StateKey(i), [new(EtagField, Guid.NewGuid().ToString("N")), new(DataField, _serializer.SerializeToArray(State(i)))]));
                if (_historyEvents > 0)
                {
                    writes.Add(database.HashSetAsync(HistoryKey(i), [new(EtagField, Guid.NewGuid().ToString("N")), new(DataField, _serializer.SerializeToArray(History(i)))]));
                }
            }
            await Task.WhenAll(writes);
        }
    }

    /// <summary>What the store says one session costs (<c>MEMORY USAGE</c>), averaged over sampled sessions below <paramref name="seeded"/>.</summary>
    public Task<double> BytesPerSessionAsync(int seeded) => BytesPerKeyAsync(seeded, StateKey);

    /// <summary>The same for one customer's history (0 when none are seeded).</summary>
    public Task<double> BytesPerHistoryAsync(int seeded) => _historyEvents > 0 ? BytesPerKeyAsync(seeded, HistoryKey) : Task.FromResult(0.0);

    private async Task<double> BytesPerKeyAsync(int seeded, Func<int, RedisKey> keyOf, int samples = 200)
    {
        var database = _redis.GetDatabase();
        long total = 0;
        for (var s = 0; s < samples; s++)
        {
            total += (long)await database.ExecuteAsync("MEMORY", "USAGE", keyOf((int)((long)s * seeded / samples)));
        }
        return total / (double)samples;
    }

    /// <summary>The session's MFA key, as the API would have issued it.</summary>
    public string Key(int index)
    {
        var (mobile, device) = Session(index);
        var family = Family(index);
        var grant = new Grant { CustomerId = family.CustomerId, Role = family.Role, FamilyId = family.Id, Key = family.CurrentKey, Channel = family.Channel };
        return _issuer.IssueKey(new DeviceRequest(Identifier(mobile), device, _brandOptions, ClientAddress: null), grant, family.CurrentKey, family.Flow);
    }

    public async ValueTask DisposeAsync()
    {
        await _redis.DisposeAsync();
        await _services.DisposeAsync();
    }

    private DeviceSessionState State(int index) => new() { MfaFamily = Family(index) };

    private KeyFamily Family(int index) => new()
    {
        Id = FamilyId(index),
        CustomerId = CustomerId(index),
        Role = SessionRole.USER,
        CreatedAt = _issuedAt,
        LastUsedAt = _issuedAt,
        CurrentKey = new IssuedKey { KeyId = KeyId(index), IssuedAt = _issuedAt },
        Channel = Channel.Mobile,
        Flow = SessionFlow.Mfa,
    };

    // Logins a day apart, newest first, as the history keeps them; delivered, so nothing waits for the webhook.
    private CustomerHistoryState History(int index)
    {
        var (mobile, device) = Session(index);
        return new()
        {
            Events = [.. Enumerable.Range(0, _historyEvents).Select(day => new SecurityEvent
            {
                Kind = SecurityEventKind.Login,
                At = _issuedAt.AddDays(-day),
                Identifier = LogMasks.Identifier(Identifier(mobile)),
                Device = LogMasks.Device(device),
                Flow = nameof(SessionFlow.Mfa).ToUpperInvariant(),
                FamilyId = FamilyId(index),
                Factor = "otp",
            })],
        };
    }

    private RedisKey HistoryKey(int index)
    {
        var grainKey = GrainKeys.Customer(_brand, CustomerId(index));
        return StateKeys.Of(GrainTypes.CustomerHistory, GrainId.Create(GrainTypes.CustomerHistory, grainKey));
    }

    private RedisKey StateKey(int index)
    {
        var (mobile, device) = Session(index);
        var grainKey = GrainKeys.DeviceSession(Identifier(mobile), device);
        // The grain type and its state are both named device-session.
        return StateKeys.Of(GrainTypes.DeviceSession, GrainId.Create(GrainTypes.DeviceSession, grainKey));
    }

    private Identifier Identifier(string mobile) => new(_brand, IdentifierType.MOBILE, mobile);

    // Ids shaped like the service's (128 random bits), derived from the index so that keys can be minted later.
    private static string FamilyId(int index) => Id("family", index);

    private static string KeyId(int index) => Id("key", index);

    private static string CustomerId(int index) => Id("customer", index)[..32];

    private static string Id(string kind, int index) =>
        Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes($"{kind}/{index}")))[..32];
}
