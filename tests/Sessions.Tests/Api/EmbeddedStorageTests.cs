using System.Globalization;
using Microsoft.Extensions.DependencyInjection;
using Sessions.Grains.Identity;
using Sessions.Tests.Infrastructure;
using StackExchange.Redis;

namespace Sessions.Tests.Api;

/// <summary>
/// The embedded default writes grain state straight into its in-process store, and what it writes is what Orleans'
/// Redis provider writes: a data directory moves between the two, either way, and every key held still regenerates.
/// </summary>
public sealed class EmbeddedStorageTests
{
    [Fact]
    public async Task KeysFromADataDirectoryWrittenOverRedisRegenerateOnTheEmbeddedStorageAndBack()
    {
        var dataDirectory = TempDirectory.Create("storage-compat");
        var device = TestDevice.NewMobile();

        var key = await OverRedisAsync(dataDirectory, async client => (await client.MfaLoginAsync(device, device)).Key!);
        await using (var embedded = new ApiFactory(dataDirectory))
        {
            var client = embedded.CreateSessionsClient();
            key = (await SessionsClient.Ok(client.PostAsync("mfa/token/regenerate", device.Body(("key", key))))).Key!;
            key = (await SessionsClient.Ok(client.PostAsync("mfa/token/regenerate", device.Body(("key", key))))).Key!;
        }
        var regeneratedOverRedis = await OverRedisAsync(dataDirectory, client => client.PostAsync("mfa/token/regenerate", device.Body(("key", key))));

        Assert.True(regeneratedOverRedis.Success, regeneratedOverRedis.Body.ToString());
        Assert.NotEqual(key, regeneratedOverRedis.Key);
    }

    [Fact]
    public async Task TheEmbeddedStorageKeepsADeviceSessionAsTheRedisProvidersHash()
    {
        var port = FreePort.Next();
        await using var api = new ApiFactory(settings: new() { ["Sessions:Storage:EmbeddedPort"] = port.ToString(CultureInfo.InvariantCulture) });
        var device = TestDevice.NewMobile();
        await api.CreateSessionsClient().MfaLoginAsync(device, device);

        await using var redis = await ConnectionMultiplexer.ConnectAsync($"127.0.0.1:{port}");
        var grainKey = GrainKeys.DeviceSession(new Identifier(device.Brand, IdentifierType.MOBILE, device.IdentifierValue), device.DeviceId!);
        var fields = (await redis.GetDatabase().HashGetAllAsync(TestStore.StateKey("sessions", "device-session", grainKey))).ToDictionary(e => (string)e.Name!, e => e.Value);

        Assert.Equal(["data", "etag"], fields.Keys.Order());
        Assert.Matches("^[0-9a-f]{32}$", (string)fields["etag"]!);
        Assert.True(((byte[])fields["data"]!).Length > 0);
    }

    [Theory]
    [InlineData(null, 512)]
    [InlineData("128", 128)]
    public async Task TheEmbeddedStoreKeepsAsMuchOfItsLogInMemoryAsItsSettingSays(string? megabytes, long expected)
    {
        var port = FreePort.Next();
        var settings = new Dictionary<string, string?> { ["Sessions:Storage:EmbeddedPort"] = port.ToString(CultureInfo.InvariantCulture) };
        if (megabytes is not null)
        {
            settings["Sessions:Storage:EmbeddedMemoryMegabytes"] = megabytes;
        }
        await using var api = new ApiFactory(settings: settings);
        var device = TestDevice.NewMobile();
        await api.CreateSessionsClient().MfaLoginAsync(device, device);

        await using var redis = await ConnectionMultiplexer.ConnectAsync($"127.0.0.1:{port},allowAdmin=true");
        var store = await redis.GetServer("127.0.0.1", port).InfoRawAsync("store");

        Assert.Contains($"Log.MaxMemorySizeBytes:{expected * 1024 * 1024}\r\n", store);
    }

    [Fact]
    public async Task RemindersMoveBetweenTheEmbeddedStoreAndOrleansRedisReminderTableWithTheDataDirectory()
    {
        var dataDirectory = TempDirectory.Create("reminder-compat");
        var grain = GrainId.Create("customer-history", $"DEMO/{Guid.NewGuid():N}");
        // Not due while the test runs: only the table is under test.
        var start = DateTime.UtcNow.AddDays(1);
        string firstETag;
        await using (var embedded = new ApiFactory(dataDirectory))
        {
            firstETag = (await Reminders(embedded).UpsertRow(Reminder(grain, "first", start)))!;
        }

        var (readOverRedis, secondETag) = await OverRedisAsync(dataDirectory, async api =>
            (await Reminders(api).ReadRow(grain, "first"), (await Reminders(api).UpsertRow(Reminder(grain, "second", start)))!));
        await using var back = new ApiFactory(dataDirectory);
        var table = Reminders(back);
        var bothBack = (await table.ReadRows(grain)).Reminders.Select(r => r.ReminderName).Order().ToList();
        var hash = grain.GetUniformHashCode();
        // The grain's own reminders in each range (the store sweep keeps one of its own).
        async Task<int> CountAsync(uint from, uint to) => (await table.ReadRows(from, to)).Reminders.Count(r => r.GrainId == grain);
        var (inRange, pastRange, wrapping) = (await CountAsync(hash - 1, hash), await CountAsync(hash, hash + 1), await CountAsync(hash + 1, hash));
        var removedWithAStaleETag = await table.RemoveRow(grain, "second", firstETag);
        var removed = await table.RemoveRow(grain, "second", secondETag);

        Assert.Equal((firstETag, start, TimeSpan.FromMinutes(1)), (readOverRedis?.ETag, readOverRedis?.StartAt, readOverRedis?.Period));
        Assert.Equal(["first", "second"], bothBack);
        Assert.Equal((2, 0, 2), (inRange, pastRange, wrapping));
        Assert.False(removedWithAStaleETag);
        Assert.True(removed);
        Assert.Equal("first", Assert.Single((await table.ReadRows(0u, 0u)).Reminders, r => r.GrainId == grain).ReminderName);
    }

    private static IReminderTable Reminders(ApiFactory api) => api.Services.GetRequiredService<IReminderTable>();

    private static ReminderEntry Reminder(GrainId grain, string name, DateTime start) =>
        new() { GrainId = grain, ReminderName = name, StartAt = start, Period = TimeSpan.FromMinutes(1) };

    /// <summary>The same API on the same data directory, its grain state in a Garnet it reaches over Redis (Orleans' provider).</summary>
    private static Task<T> OverRedisAsync<T>(string dataDirectory, Func<SessionsClient, Task<T>> act) =>
        OverRedisAsync(dataDirectory, api => act(api.CreateSessionsClient()));

    private static async Task<T> OverRedisAsync<T>(string dataDirectory, Func<ApiFactory, Task<T>> act)
    {
        using var store = TestStore.StartGarnet(dataDirectory);
        await using var api = new ApiFactory(dataDirectory, new()
        {
            ["Sessions:Storage:Mode"] = "Redis",
            ["ConnectionStrings:Redis"] = store.ConnectionString,
        });
        return await act(api);
    }
}
