using System.Diagnostics.Metrics;
using System.Net;
using System.Text.Json;
using Sessions.Client;
using Sessions.Client.DeviceKeys;
using Sessions.Client.Storage;
using Sessions.Tests.Infrastructure;
using ApiCalls = Sessions.Tests.Infrastructure.SessionsClient;
using AppClient = Sessions.Client.SessionsClient;

namespace Sessions.Tests.ClientLibrary;

/// <summary>
/// One API host for the client library's tests, whose clock the apps share (the test server sends no <c>Date</c>, so
/// the client's clock is the only one it has), and whose own count of regenerate calls the tests read.
/// </summary>
public sealed class ClientFixture : IAsyncLifetime
{
    public ApiFactory Factory { get; } = new();

    /// <summary>Raw calls to the same API: the dev outbox, and what a thief or a test sends by hand.</summary>
    public ApiCalls Api { get; private set; } = null!;

    public Task InitializeAsync()
    {
        Api = Factory.CreateSessionsClient();
        return Task.CompletedTask;
    }

    public async Task DisposeAsync() => await Factory.DisposeAsync();

    /// <summary>An app: the library over the in-process API, with its own store, behind <paramref name="faults"/> when given.</summary>
    public AppClient NewApp(ISessionStore store, string brand = TestBrands.Demo, DelegatingHandler? faults = null, TimeProvider? clock = null,
        Action<SessionsClientOptions>? configure = null, IDeviceKeyProvider? deviceKeys = null, IMeterFactory? meters = null)
    {
        var options = new SessionsClientOptions { BaseAddress = new Uri("http://localhost/"), Brand = brand, RequestTimeout = TimeSpan.FromSeconds(30) };
        configure?.Invoke(options);
        var http = faults is null ? Factory.CreateClient() : Factory.CreateDefaultClient(new Uri("http://localhost/"), faults);
        return new AppClient(http, options, store, deviceKeys, timeProvider: clock ?? Factory.Clock, meterFactory: meters);
    }

    /// <summary>A customer's identity on a fresh device, and the same as the test infrastructure spells it.</summary>
    public static (DeviceIdentity Identity, TestDevice Device) NewCustomer(string brand = TestBrands.Demo)
    {
        var device = TestDevice.NewMobile(brand);
        return (DeviceIdentity.Mobile(device.IdentifierValue, device.DeviceId), device);
    }

    /// <summary>Logs in with the library's three calls: start, the code from the dev outbox, the kept session.</summary>
    public async Task<SessionKeeper> LogInAsync(AppClient app, TestDevice device, DeviceIdentity identity)
    {
        var login = await app.StartLoginAsync(identity);
        var signIn = await login.VerifyOtpAsync(await Api.LatestOtpAsync(device));
        return signIn.Session!;
    }

    /// <summary>An app with a store of its own, and a new customer logged in on it with the library's three calls.</summary>
    public async Task<LoggedInApp> LogInNewCustomerAsync(string brand = TestBrands.Demo, DelegatingHandler? faults = null, TimeProvider? clock = null,
        Action<SessionsClientOptions>? configure = null, IMeterFactory? meters = null)
    {
        var store = new InMemorySessionStore();
        var app = NewApp(store, brand, faults, clock, configure, meters: meters);
        var (identity, device) = NewCustomer(brand);
        return new LoggedInApp(app, store, device, await LogInAsync(app, device, identity));
    }

    /// <summary>Moves the service's clock on, half a second at a time, until <paramref name="call"/> is done: its retries wait on that clock.</summary>
    public async Task<T> WhileTheClockRunsAsync<T>(Task<T> call)
    {
        await WhileTheClockRunsAsync(() => call.IsCompleted);
        return await call;
    }

    /// <summary>The same until <paramref name="done"/> holds, within a minute of real time.</summary>
    public async Task WhileTheClockRunsAsync(Func<bool> done)
    {
        var giveUp = DateTime.UtcNow + TimeSpan.FromMinutes(1);
        while (!done())
        {
            Assert.True(DateTime.UtcNow < giveUp, "still waiting after a minute");
            Factory.Clock.Advance(TimeSpan.FromMilliseconds(500));
            await Task.Delay(5);
        }
    }

    /// <summary>What the store holds for the default session, as JSON (null when nothing).</summary>
    public static async Task<JsonElement?> StoredAsync(ISessionStore store)
    {
        var content = await store.LoadAsync(SessionKeeper.DefaultName, CancellationToken.None);
        return content is null ? null : JsonDocument.Parse(content).RootElement.Clone();
    }
}

/// <summary>An app, its store, the customer's device as the tests spell it, and the kept session.</summary>
public sealed record LoggedInApp(AppClient App, InMemorySessionStore Store, TestDevice Device, SessionKeeper Session) : IAsyncDisposable
{
    /// <summary>The credential the store holds now.</summary>
    public async Task<string?> StoredKeyAsync() => (await ClientFixture.StoredAsync(Store))?.GetProperty("key").GetString();

    public ValueTask DisposeAsync() => App.DisposeAsync();
}

[CollectionDefinition(Name)]
public sealed class ClientCollection : ICollectionFixture<ClientFixture>
{
    public const string Name = "app-client";
}

/// <summary>
/// A network between the app and the service that fails on cue: answers lost after the service acted, or requests
/// that never leave the device. It records every credential the app presented, and when (on the service's clock).
/// </summary>
public sealed class FaultyNetwork(TimeProvider serverClock) : DelegatingHandler
{
    private readonly List<(string Path, DateTimeOffset At, string Body)> _sent = [];

    /// <summary>Drop the answer of this many requests to a matching path, after the service handled them.</summary>
    public int AnswersToLose { get; set; }

    /// <summary>Fail requests to a matching path before they are sent (no connection).</summary>
    public bool Offline { get; set; }

    /// <summary>
    /// Stall the upload of this many requests to a matching path until the service gives up on the body: it answers
    /// its 408 envelope (what <c>MalformedHttpTests</c> gets from the real server) and handles nothing.
    /// </summary>
    public int UploadsToStall { get; set; }

    public string PathContains { get; set; } = "regenerate";

    /// <summary>The bodies of the lost answers.</summary>
    public List<string> LostAnswers { get; } = [];

    public IReadOnlyList<(string Path, DateTimeOffset At, string Body)> Sent
    {
        get
        {
            lock (_sent)
            {
                return [.. _sent];
            }
        }
    }

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var path = request.RequestUri!.AbsolutePath;
        if (!path.Contains(PathContains, StringComparison.Ordinal))
        {
            return await base.SendAsync(request, cancellationToken);
        }
        if (Offline)
        {
            throw new HttpRequestException(HttpRequestError.ConnectionError, "Network is unreachable (test)");
        }
        lock (_sent)
        {
            _sent.Add((path, serverClock.GetUtcNow(), request.Content is null ? "" : request.Content.ReadAsStringAsync(cancellationToken).Result));
        }
        if (UploadsToStall > 0)
        {
            UploadsToStall--;
            return new HttpResponseMessage(HttpStatusCode.RequestTimeout)
            {
                Content = new StringContent("""{"status":{"success":false,"code":408,"message":"Request body too slow."}}""", System.Text.Encoding.UTF8, "application/json"),
            };
        }
        var response = await base.SendAsync(request, cancellationToken);
        if (AnswersToLose > 0)
        {
            AnswersToLose--;
            LostAnswers.Add(await response.Content.ReadAsStringAsync(cancellationToken));
            response.Dispose();
            throw new HttpRequestException(HttpRequestError.ResponseEnded, "The connection was reset (test)", new IOException("reset"));
        }
        return response;
    }
}

/// <summary>Holds every regenerate request until released, after saying one arrived.</summary>
public sealed class HeldRegenerate : DelegatingHandler
{
    public TaskCompletionSource Reached { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public TaskCompletionSource Release { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        if (request.RequestUri!.AbsolutePath.Contains("regenerate", StringComparison.Ordinal))
        {
            Reached.TrySetResult();
            await Release.Task.WaitAsync(cancellationToken);
        }
        return await base.SendAsync(request, cancellationToken);
    }
}

internal static class ApiAnswers
{
    public static string Key(string envelope) => JsonDocument.Parse(envelope).RootElement.GetProperty("auth").GetProperty("key").GetString()!;

    public static bool IsOk(ApiResponse response) => response.Status == HttpStatusCode.OK && response.Success;
}
