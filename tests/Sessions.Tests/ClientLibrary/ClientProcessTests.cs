using System.Text.Json;
using Sessions.Client;
using Sessions.Client.Storage;
using Sessions.Tests.Infrastructure;
using AppClient = Sessions.Client.SessionsClient;

namespace Sessions.Tests.ClientLibrary;

/// <summary>
/// The library in real processes against the real service (a Kestrel process that sends <c>Date</c>): an app killed
/// between the service's answer and the store write, two processes sharing one store, and a device clock that is wrong.
/// </summary>
[Collection(ClientProcessCollection.Name)]
public sealed class ClientProcessTests(ClientProcessFixture fixture)
{
    [Fact]
    public async Task AnAppKilledBetweenTheServicesAnswerAndTheStoreWriteContinuesAfterARestart()
    {
        var directory = TempDirectory.Create("client-store");
        var (_, firstKey) = await fixture.LogInAsync(directory);

        await using (var probe = ClientProbe.Start(fixture.Api.Port, TestBrands.Demo, directory, "crash-before-successor-save"))
        {
            await probe.WaitForLineAsync("ANSWERED");
            await probe.KillAsync();
        }
        var interrupted = await StoredAsync(directory);
        if (!OperatingSystem.IsWindows())
        {
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(Path.Combine(directory, "default.session.json")));
        }
        Assert.Equal(firstKey, interrupted.GetProperty("key").GetString());
        Assert.Equal(firstKey, interrupted.GetProperty("pending").GetProperty("key").GetString());

        await using var restarted = fixture.NewApp(directory);
        var session = restarted.GetSession();
        var token = await session.GetTokenAsync();

        var resumed = await StoredAsync(directory);
        Assert.False(resumed.TryGetProperty("pending", out _));
        Assert.NotEqual(firstKey, resumed.GetProperty("key").GetString());
        Assert.Equal("USER", Jwt.Payload(token).GetProperty("rol").GetString());
        // The successor is the family's current key: it rotates again, and the replaced key is not current.
        Assert.NotEqual(token, await session.RefreshAsync(token));
    }

    [Fact]
    public async Task TwoProcessesSharingOneStoreMakeOneRotationChainWithoutAReuse()
    {
        var directory = TempDirectory.Create("client-store");
        await fixture.LogInAsync(directory, ClientProcessFixture.NoGraceBrand);

        await using var first = ClientProbe.Start(fixture.Api.Port, ClientProcessFixture.NoGraceBrand, directory, "rotate", "40");
        await using var second = ClientProbe.Start(fixture.Api.Port, ClientProcessFixture.NoGraceBrand, directory, "rotate", "40");
        var results = await Task.WhenAll(first.WaitForExitAsync(), second.WaitForExitAsync());

        Assert.All(results, result => Assert.True(result.ExitCode == 0, $"exit {result.ExitCode}: {result.Output}"));
        var rotations = results.Select(result => int.Parse(result.Output.Split("DONE ")[1].Trim(), System.Globalization.CultureInfo.InvariantCulture)).ToList();
        Assert.All(rotations, count => Assert.InRange(count, 1, 40));
        await using var app = fixture.NewApp(directory, brand: ClientProcessFixture.NoGraceBrand);
        var session = app.GetSession();
        var held = await session.GetTokenAsync();
        Assert.NotEqual(held, await session.RefreshAsync(held));
    }

    [Fact]
    public async Task ADeviceClockTwentyMinutesFastIsCorrectedByTheServicesDateAndCausesNoRegenerate()
    {
        var directory = TempDirectory.Create("client-store");
        var fastClock = new OffsetClock(TimeSpan.FromMinutes(20));
        await using var app = fixture.NewApp(directory, fastClock);
        var device = TestDevice.NewMobile();
        var login = await app.StartLoginAsync(DeviceIdentity.Mobile(device.IdentifierValue, device.DeviceId));
        var session = (await login.VerifyOtpAsync(await fixture.Api.Client.LatestOtpAsync(device))).Session!;
        var loginToken = await session.GetTokenAsync();

        // By its own clock the token expired five minutes ago; by the service's it has fifteen minutes to live.
        Assert.Equal(loginToken, await session.GetTokenAsync());
        var stored = await StoredAsync(directory);
        Assert.InRange(TimeSpan.Parse(stored.GetProperty("clockOffset").GetString()!, System.Globalization.CultureInfo.InvariantCulture),
            TimeSpan.FromMinutes(-21), TimeSpan.FromMinutes(-19));
    }

    private static async Task<JsonElement> StoredAsync(string directory)
    {
        var content = await new FileSessionStore(directory).LoadAsync(SessionKeeper.DefaultName, CancellationToken.None);
        return JsonDocument.Parse(content!).RootElement.Clone();
    }

    private sealed class OffsetClock(TimeSpan offset) : TimeProvider
    {
        public override DateTimeOffset GetUtcNow() => System.GetUtcNow() + offset;
    }
}

/// <summary>The service as a real process for the client's process tests.</summary>
public sealed class ClientProcessFixture : IAsyncLifetime
{
    /// <summary>PLAIN without a retry grace: two processes presenting one key at once would revoke its family at once.</summary>
    public ApiProcess Api { get; } = new(new() { [$"Sessions:Brands:{NoGraceBrand}:KeyReuseGraceSeconds"] = "0" });

    public const string NoGraceBrand = TestBrands.Plain;

    public Task InitializeAsync() => Api.StartAsync();

    public async Task DisposeAsync() => await Api.DisposeAsync();

    public AppClient NewApp(string storeDirectory, TimeProvider? clock = null, string brand = TestBrands.Demo) =>
        new(new HttpClient(), new SessionsClientOptions { BaseAddress = new Uri($"http://127.0.0.1:{Api.Port}/"), Brand = brand },
            new FileSessionStore(storeDirectory), timeProvider: clock);

    /// <summary>A login by the library into a file store; the device and the key it stored.</summary>
    public async Task<(TestDevice Device, string Key)> LogInAsync(string storeDirectory, string brand = TestBrands.Demo)
    {
        await using var app = NewApp(storeDirectory, brand: brand);
        var device = TestDevice.NewMobile(brand);
        var login = await app.StartLoginAsync(DeviceIdentity.Mobile(device.IdentifierValue, device.DeviceId));
        await login.VerifyOtpAsync(await Api.Client.LatestOtpAsync(device));
        var content = await new FileSessionStore(storeDirectory).LoadAsync(SessionKeeper.DefaultName, CancellationToken.None);
        return (device, JsonDocument.Parse(content!).RootElement.GetProperty("key").GetString()!);
    }
}

[CollectionDefinition(Name)]
public sealed class ClientProcessCollection : ICollectionFixture<ClientProcessFixture>
{
    public const string Name = "app-client-processes";
}

/// <summary><c>tests/ClientProbe</c> of this build as a child process: an app keeping a session in a file store.</summary>
internal sealed class ClientProbe(ChildProcess process) : IAsyncDisposable
{
    public static ClientProbe Start(int apiPort, string brand, string storeDirectory, params string[] mode) =>
        new(ChildProcess.Start(ChildProcess.Dotnet(ProbeDll, [$"http://127.0.0.1:{apiPort}/", brand, storeDirectory, .. mode])));

    public Task WaitForLineAsync(string line) =>
        process.WaitUntilReadyAsync($"the probe, waiting for '{line}',", () => Task.FromResult(process.Lines.Contains(line)));

    /// <summary>SIGKILL: no finally block, no flush.</summary>
    public Task KillAsync() => process.KillAsync();

    public async Task<(int ExitCode, string Output)> WaitForExitAsync() => (await process.WaitForExitAsync(TimeSpan.FromMinutes(2)), process.Output);

    public ValueTask DisposeAsync() => process.DisposeAsync();

    /// <summary>The probe of this build.</summary>
    private static string ProbeDll => Repository.Output(Path.Combine("tests", "ClientProbe"), "Sessions.ClientProbe.dll");
}
