using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;
using Orleans.Configuration;
using Orleans.Runtime;
using Orleans.Serialization;
using Sessions.Grains.Contracts;
using Sessions.Grains.DeviceSessions;
using Sessions.Grains.Identity;
using Sessions.Silo.Storage;
using StackExchange.Redis;

namespace Sessions.Bench;

/// <summary>
/// Seeds device sessions for the <c>scale</c> scenario by writing the store directly, as the silo's storage would: one
/// device-session state per session, holding an MFA key family, serialised by the Orleans serializer under the state
/// key the silo reads (<see cref="GrainStateKeys"/>, fields <c>etag</c> and <c>data</c>). A login through the API costs several grain writes and an OTP each, so a million would take hours; a
/// direct write takes microseconds. The key of a session is minted on demand, signed like the API signs keys (the
/// brand's HS256 secret), for the sessions a measurement presents.
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
    private readonly SigningCredentials _keySigning;
    private readonly JsonWebTokenHandler _handler = new() { SetDefaultTimesOnTokenCreation = false };
    private readonly DateTimeOffset _issuedAt = DateTimeOffset.UtcNow;

    private StoreSeeder(ConnectionMultiplexer redis, string brand, string keyId, string secret)
    {
        _redis = redis;
        _brand = brand;
        _services = new ServiceCollection().AddSerializer(b => b.AddAssembly(typeof(DeviceSessionState).Assembly)).BuildServiceProvider();
        _serializer = _services.GetRequiredService<Serializer>();
        _keySigning = new SigningCredentials(new SymmetricSecurityKey(Convert.FromBase64String(secret)) { KeyId = keyId }, SecurityAlgorithms.HmacSha256);
    }

    public static async Task<StoreSeeder> ConnectAsync(int port, string brand, string keyId, string secret) =>
        new(await ConnectionMultiplexer.ConnectAsync($"127.0.0.1:{port},syncTimeout=30000,asyncTimeout=30000"), brand, keyId, secret);

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
            }
            await Task.WhenAll(writes);
        }
    }

    /// <summary>What the store says one session costs (<c>MEMORY USAGE</c>), averaged over sampled sessions below <paramref name="seeded"/>.</summary>
    public async Task<double> BytesPerSessionAsync(int seeded, int samples = 200)
    {
        var database = _redis.GetDatabase();
        long total = 0;
        for (var s = 0; s < samples; s++)
        {
            total += (long)await database.ExecuteAsync("MEMORY", "USAGE", StateKey((int)((long)s * seeded / samples)));
        }
        return total / (double)samples;
    }

    /// <summary>The session's MFA key, as the API would have issued it.</summary>
    public string Key(int index)
    {
        var (mobile, device) = Session(index);
        var payload = string.Create(CultureInfo.InvariantCulture,
            $$"""{"uid":"{{CustomerId(index)}}","iss":"SESSIONS","mfa":true,"iat":{{_issuedAt.ToUnixTimeSeconds()}},"rol":"AUTH","jti":"{{KeyId(index)}}","sid":"{{FamilyId(index)}}"}""");
        return _handler.CreateToken(payload, _keySigning, new Dictionary<string, object>
        {
            ["idv"] = new[] { $"MOBILE|{mobile}" },
            ["dev"] = device,
            ["org"] = _brand,
        });
    }

    public async ValueTask DisposeAsync()
    {
        await _redis.DisposeAsync();
        await _services.DisposeAsync();
    }

    private DeviceSessionState State(int index) => new()
    {
        MfaFamily = new KeyFamily
        {
            Id = FamilyId(index),
            CustomerId = CustomerId(index),
            Role = SessionRole.USER,
            CreatedAt = _issuedAt,
            LastUsedAt = _issuedAt,
            CurrentKey = new IssuedKey { KeyId = KeyId(index), IssuedAt = _issuedAt },
            Channel = Channel.Mobile,
            Flow = SessionFlow.Mfa,
        },
    };

    private RedisKey StateKey(int index)
    {
        var (mobile, device) = Session(index);
        var grainKey = GrainKeys.DeviceSession(new Identifier(_brand, IdentifierType.MOBILE, mobile), device);
        // The grain type and its state are both named device-session.
        return StateKeys.Of(GrainTypes.DeviceSession, GrainId.Create(GrainTypes.DeviceSession, grainKey));
    }

    // Ids shaped like the service's (128 random bits), derived from the index so that keys can be minted later.
    private static string FamilyId(int index) => Id("family", index);

    private static string KeyId(int index) => Id("key", index);

    private static string CustomerId(int index) => Id("customer", index)[..32];

    private static string Id(string kind, int index) =>
        Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes($"{kind}/{index}")))[..32];
}
