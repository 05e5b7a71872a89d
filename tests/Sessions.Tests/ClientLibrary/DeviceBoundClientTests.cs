using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using Microsoft.IdentityModel.Tokens;
using Sessions.Client;
using Sessions.Client.DeviceKeys;
using Sessions.Client.Storage;
using Sessions.ResourceServer;
using Sessions.Samples.ResourceServer;
using Sessions.Tests.Infrastructure;
using AppClient = Sessions.Client.SessionsClient;

namespace Sessions.Tests.ClientLibrary;

/// <summary>
/// Device-bound sessions (API.md §4.7) kept by the library, the nonce round trip, and the token handler on an app's
/// <see cref="HttpClient"/> against the resource server of <c>samples/ResourceServer</c>.
/// </summary>
[Collection(ClientCollection.Name)]
public sealed class DeviceBoundClientTests(ClientFixture fixture)
{
    private static readonly TimeSpan AlmostExpired = TimeSpan.FromMinutes(14.5);

    [Fact]
    public async Task ABoundSessionCarriesTheAppsDeviceKeyAndRotatesWithAProofEachTime()
    {
        await using var customer = await fixture.LogInNewCustomerAsync(TestBrands.Bound, configure: o => o.BindToDevice = true);
        var (app, store, device, session) = customer;
        var first = await session.GetTokenAsync();
        var thumbprint = Jwt.Payload(first).GetProperty("cnf").GetProperty("jkt").GetString();
        Assert.True(session.IsDeviceBound);
        fixture.Factory.Clock.Advance(AlmostExpired);

        var second = await session.GetTokenAsync();

        Assert.NotEqual(first, second);
        Assert.Equal(thumbprint, Jwt.Payload(second).GetProperty("cnf").GetProperty("jkt").GetString());
        var copiedKey = await customer.StoredKeyAsync();
        Assert.Equal(1562, (await fixture.Api.PostAsync("token/regenerate", device.Body(("key", copiedKey)))).Code);
        fixture.Factory.Clock.Advance(AlmostExpired);
        Assert.NotEqual(second, await session.GetTokenAsync());
    }

    [Fact]
    public async Task ABoundSessionSignsItsAccountCallsWhichABrandRequiringProofsWithBoundTokensRefusesWithoutOne()
    {
        await using var customer = await fixture.LogInNewCustomerAsync(TestBrands.BoundRequired, configure: o => o.BindToDevice = true);
        var (app, store, device, session) = customer;
        Assert.True(session.IsDeviceBound);
        var token = await session.GetTokenAsync();
        var newNumber = TestDevice.NewMobile(TestBrands.BoundRequired).IdentifierValue;

        var devices = await session.ListSignedInDevicesAsync();
        var codeSent = await session.ChangeIdentifierAsync(newNumber);
        var copiedToken = await fixture.Api.PostAsync("user/sessions", device.Body(("token", token)));
        var loggedOut = await session.LogOutAsync();

        Assert.True(Assert.Single(Assert.Single(devices).Families).Current);
        Assert.Equal(IdentifierChange.CodeSent, codeSent);
        Assert.Equal(1562, copiedToken.Code);
        Assert.True(loggedOut);
    }

    [Fact]
    public async Task ADeviceWhoseClockIsTenMinutesFastGetsTheNonceRoundTripDoneOutOfSight()
    {
        var fastClock = new FakeTimeProvider(fixture.Factory.Clock.GetUtcNow() + TimeSpan.FromMinutes(10));
        await using var customer = await fixture.LogInNewCustomerAsync(TestBrands.Bound, clock: fastClock, configure: o => o.BindToDevice = true);
        var (app, store, device, session) = customer;
        Assert.True(session.IsDeviceBound);
        fixture.Factory.Clock.Advance(TimeSpan.FromMinutes(10));
        fastClock.Advance(TimeSpan.FromMinutes(10));
        var first = await session.GetTokenAsync();

        Assert.True(Jwt.Payload(first).TryGetProperty("cnf", out _));
        fixture.Factory.Clock.Advance(AlmostExpired);
        fastClock.Advance(AlmostExpired);
        Assert.NotEqual(first, await session.GetTokenAsync());
    }

    [Fact]
    public async Task TheTokenHandlerSendsTheBoundTokenWithAProofAndOnA401RefreshesOnceAndSendsAgain()
    {
        var store = new InMemorySessionStore();
        await using var resourceServer = await StartResourceServerAsync(TestBrands.Bound);
        var services = new ServiceCollection();
        services.AddSingleton<ISessionStore>(store);
        services.AddSingleton<TimeProvider>(fixture.Factory.Clock);
        services.AddSessionsClient(o =>
        {
            o.BaseAddress = new Uri("http://localhost/");
            o.Brand = TestBrands.Bound;
            o.BindToDevice = true;
        }).ConfigurePrimaryHttpMessageHandler(() => fixture.Factory.Server.CreateHandler());
        var refusals = new RefuseOnce();
        services.AddHttpClient("shop", c => c.BaseAddress = new Uri("http://localhost/"))
            .AddSessionToken()
            .AddHttpMessageHandler(() => refusals)
            .ConfigurePrimaryHttpMessageHandler(() => resourceServer.GetTestServer().CreateHandler());
        await using var provider = services.BuildServiceProvider();
        var app = provider.GetRequiredService<AppClient>();
        var (identity, device) = ClientFixture.NewCustomer(TestBrands.Bound);
        var session = await fixture.LogInAsync(app, device, identity);
        var shop = provider.GetRequiredService<IHttpClientFactory>().CreateClient("shop");
        using var regenerations = new HostCounter(fixture.Factory.Services, "sessions.regenerations");

        var me = await shop.GetFromJsonAsync<JsonElement>("/me");
        Assert.Equal(Jwt.Payload(await session.GetTokenAsync()).GetProperty("uid").GetString(), me.GetProperty("customerId").GetString());
        Assert.Equal(0, regenerations.Total);

        refusals.Armed = true;
        using var afterRefusal = await shop.GetAsync("/me");

        Assert.Equal(HttpStatusCode.OK, afterRefusal.StatusCode);
        Assert.Equal(1, regenerations.Total);
        Assert.Equal(["DPoP", "DPoP", "DPoP"], refusals.Schemes);
        Assert.Equal(3, refusals.Proofs.Distinct().Count());
    }

    [Fact]
    public async Task TheTokenHandlerRefreshesOnlyOnceWhenTheResourceServerKeepsRefusing()
    {
        var store = new InMemorySessionStore();
        await using var resourceServer = await StartResourceServerAsync(TestBrands.Signed);
        await using var app = fixture.NewApp(store, TestBrands.Bound);
        var (identity, device) = ClientFixture.NewCustomer(TestBrands.Bound);
        var session = await fixture.LogInAsync(app, device, identity);
        var counting = new RefuseOnce { InnerHandler = resourceServer.GetTestServer().CreateHandler() };
        using var shop = new HttpClient(new Sessions.Client.Http.SessionTokenHandler(session) { InnerHandler = counting }) { BaseAddress = new Uri("http://localhost/") };
        using var regenerations = new HostCounter(fixture.Factory.Services, "sessions.regenerations");

        using var refused = await shop.GetAsync("/me");

        Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
        Assert.Equal(["Bearer", "Bearer"], counting.Schemes);
        Assert.Equal(1, regenerations.Total);
    }

    [Fact]
    public async Task AnAppWhoseSessionEndedElsewhereLearnsItAtItsNextCallToAResourceServerThatChecksSessions()
    {
        await using var customer = await fixture.LogInNewCustomerAsync(TestBrands.Signed);
        await using var resourceServer = await StartResourceServerAsync(TestBrands.Signed, checkSessions: true);
        SessionEndedReason? told = null;
        customer.Session.SessionEnded += (_, e) => told = e.Reason;
        using var shop = new HttpClient(new Sessions.Client.Http.SessionTokenHandler(customer.Session) { InnerHandler = resourceServer.GetTestServer().CreateHandler() })
        {
            BaseAddress = new Uri("http://localhost/"),
        };
        using var whileLive = await shop.GetAsync("/me");

        // The same phone logs in again from a reinstalled app: the old install's session is replaced at the service,
        // while its token still has most of its 15 minutes.
        await fixture.Api.LoginAsync(customer.Device);
        fixture.Factory.Clock.Advance(new SessionRevocationOptions().RecheckAfter);
        var afterwards = await Assert.ThrowsAsync<SessionEndedException>(() => shop.GetAsync("/me"));

        Assert.Equal(HttpStatusCode.OK, whileLive.StatusCode);
        Assert.Equal(SessionEndedReason.KeyInvalid, afterwards.Reason);
        Assert.Equal(SessionEndedReason.KeyInvalid, told);
    }

    [Fact]
    public async Task ARestartedAppsConcurrentCallsOpenTheDeviceKeyOnceAndEveryProofIsAccepted()
    {
        await using var customer = await fixture.LogInNewCustomerAsync(TestBrands.Bound, configure: o => o.BindToDevice = true);
        await using var resourceServer = await StartResourceServerAsync(TestBrands.Bound);
        // The app starts again over the same store, with a platform key store that answers slowly: every first caller
        // opens the key before any has it.
        const int callers = 20;
        var keyStore = new SlowKeyStore(callers);
        await using var restarted = fixture.NewApp(customer.Store, TestBrands.Bound, configure: o => o.BindToDevice = true, deviceKeys: keyStore);
        var session = restarted.GetSession();
        using var shop = new HttpClient(resourceServer.GetTestServer().CreateHandler()) { BaseAddress = new Uri("http://localhost/") };

        var answers = await Task.WhenAll(Enumerable.Range(0, callers).Select(async _ =>
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, "http://localhost/me");
            await session.AuthorizeAsync(request);
            using var answer = await shop.SendAsync(request);
            return answer.StatusCode;
        }));

        Assert.All(answers, status => Assert.Equal(HttpStatusCode.OK, status));
        Assert.Equal(callers, keyStore.Opened);
        Assert.Equal(callers - 1, keyStore.DisposedUnused);
    }

    [Fact]
    public async Task ACallerSigningWhileTheCustomerLogsOutFinishesItsProofAndTheKeyIsDisposedAfterIt()
    {
        await using var customer = await fixture.LogInNewCustomerAsync(TestBrands.Bound, configure: o => o.BindToDevice = true);
        var keyStore = new GatedKeyStore();
        await using var restarted = fixture.NewApp(customer.Store, TestBrands.Bound, configure: o => o.BindToDevice = true, deviceKeys: keyStore);
        var session = restarted.GetSession();
        using var request = new HttpRequestMessage(HttpMethod.Get, "http://localhost/me");

        var signing = session.AuthorizeAsync(request);
        var key = await keyStore.Signing.Task.WaitAsync(TimeSpan.FromSeconds(10));
        // The logout signs its own call with the same key, so it waits at the same gate.
        var loggingOut = session.LogOutAsync();
        Assert.False(key.Disposed);
        keyStore.Release.SetResult();
        await signing;
        Assert.True(await loggingOut);

        Assert.StartsWith("DPoP ", request.Headers.Authorization!.ToString(), StringComparison.Ordinal);
        Assert.True(request.Headers.Contains("DPoP"));
        Assert.True(key.Disposed);
        var ended = await Assert.ThrowsAsync<SessionEndedException>(() => session.GetTokenAsync().AsTask());
        Assert.Equal(SessionEndedReason.LoggedOut, ended.Reason);
    }

    [Fact]
    public void OptionsThatCannotWorkStopTheAppAtStartNamingTheSetting()
    {
        var services = new ServiceCollection();
        services.AddSessionsClient(o => (o.GraceSafetyMargin, o.RefreshAheadBeforeExpiry) = (TimeSpan.FromMinutes(1), TimeSpan.FromSeconds(30)));
        using var provider = services.BuildServiceProvider();

        var refused = Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<AppClient>());

        Assert.Contains("SessionsClient:BaseAddress", refused.Message, StringComparison.Ordinal);
        Assert.Contains("SessionsClient:Brand", refused.Message, StringComparison.Ordinal);
        Assert.Contains("SessionsClient:GraceSafetyMargin", refused.Message, StringComparison.Ordinal);
        Assert.Contains("SessionsClient:RefreshAheadBeforeExpiry", refused.Message, StringComparison.Ordinal);
    }

    /// <summary>
    /// The sample's resource server on a test host, trusting the brand's JWKS as the service serves it, and with
    /// <paramref name="checkSessions"/> asking the service whether each session still lives.
    /// </summary>
    private async Task<WebApplication> StartResourceServerAsync(string brand, bool checkSessions = false)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseTestServer();
        // The resource server keeps the service's time (the tests move the service's clock on).
        builder.Services.AddSingleton<TimeProvider>(fixture.Factory.Clock);
        builder.Services.AddSessionsTokens("SESSIONS", new Uri($"http://localhost/auth/v1/brands/{brand}/jwks.json"), fixture.Factory.CreateClient());
        if (checkSessions)
        {
            builder.Services.AddSessionsRevocationCheck(o =>
            {
                o.Endpoint = TestResourceServer.Introspection;
                o.Brand = brand;
                o.Secret = TestBrands.IntrospectionSecret;
                o.Backchannel = fixture.Factory.CreateClient();
            });
        }
        var app = builder.Build();
        app.MapResourceServerApi();
        await app.StartAsync();
        return app;
    }

    /// <summary>
    /// The default software keys behind a slow platform key store: opens are held until <paramref name="callers"/> are
    /// waiting, and a key signs only after a yield, so a key disposed while a caller holds it fails that caller.
    /// </summary>
    private sealed class SlowKeyStore(int callers) : SoftwareKeyStore
    {
        private readonly TaskCompletionSource _allWaiting = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private int _opened;
        private int _disposedUnused;

        public int Opened => _opened;

        public int DisposedUnused => _disposedUnused;

        public override async ValueTask<IDeviceKey?> OpenAsync(string sessionName, string handle, CancellationToken cancellationToken)
        {
            if (Interlocked.Increment(ref _opened) == callers)
            {
                _allWaiting.SetResult();
            }
            await _allWaiting.Task.WaitAsync(TimeSpan.FromSeconds(10), cancellationToken);
            return await Keys.OpenAsync(sessionName, handle, cancellationToken) is { } key ? new YieldingKey(key, this) : null;
        }

        private sealed class YieldingKey(IDeviceKey key, SlowKeyStore store) : DelegatingDeviceKey(key)
        {
            private bool _used;

            public override async ValueTask<byte[]> SignAsync(ReadOnlyMemory<byte> data, CancellationToken cancellationToken)
            {
                _used = true;
                await Task.Yield();
                return await base.SignAsync(data, cancellationToken);
            }

            public override void Dispose()
            {
                if (!_used)
                {
                    Interlocked.Increment(ref store._disposedUnused);
                }
                base.Dispose();
            }
        }
    }

    /// <summary>The default software keys, whose signatures wait for <see cref="Release"/> once one has begun (<see cref="Signing"/>).</summary>
    private sealed class GatedKeyStore : SoftwareKeyStore
    {
        public TaskCompletionSource<GatedKey> Signing { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public TaskCompletionSource Release { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public override async ValueTask<IDeviceKey?> OpenAsync(string sessionName, string handle, CancellationToken cancellationToken) =>
            await Keys.OpenAsync(sessionName, handle, cancellationToken) is { } key ? new GatedKey(key, this) : null;

        public sealed class GatedKey(IDeviceKey key, GatedKeyStore store) : DelegatingDeviceKey(key)
        {
            public bool Disposed { get; private set; }

            public override async ValueTask<byte[]> SignAsync(ReadOnlyMemory<byte> data, CancellationToken cancellationToken)
            {
                store.Signing.TrySetResult(this);
                await store.Release.Task.WaitAsync(TimeSpan.FromSeconds(10), cancellationToken);
                return await base.SignAsync(data, cancellationToken);
            }

            public override void Dispose()
            {
                Disposed = true;
                base.Dispose();
            }
        }
    }

    /// <summary>The default software keys, opened as the test's key store chooses to hand them out.</summary>
    private abstract class SoftwareKeyStore : IDeviceKeyProvider
    {
        protected SoftwareDeviceKeys Keys { get; } = new();

        public ValueTask<IDeviceKey> CreateAsync(string sessionName, CancellationToken cancellationToken) => Keys.CreateAsync(sessionName, cancellationToken);

        public abstract ValueTask<IDeviceKey?> OpenAsync(string sessionName, string handle, CancellationToken cancellationToken);

        public ValueTask DeleteAsync(string sessionName, string handle, CancellationToken cancellationToken) => Keys.DeleteAsync(sessionName, handle, cancellationToken);
    }

    /// <summary>A device key that passes everything to <paramref name="inner"/>; the test keys change how it signs or is disposed.</summary>
    private abstract class DelegatingDeviceKey(IDeviceKey inner) : IDeviceKey
    {
        public string Handle => inner.Handle;

        public ReadOnlyMemory<byte> PublicX => inner.PublicX;

        public ReadOnlyMemory<byte> PublicY => inner.PublicY;

        public virtual ValueTask<byte[]> SignAsync(ReadOnlyMemory<byte> data, CancellationToken cancellationToken) => inner.SignAsync(data, cancellationToken);

        public virtual void Dispose() => inner.Dispose();
    }

    /// <summary>
    /// Lets requests reach the resource server and records their schemes and proofs; when armed, turns the next answer
    /// into a 401, as a resource server does that refuses a token the app's clock thought valid.
    /// </summary>
    private sealed class RefuseOnce : DelegatingHandler
    {
        public bool Armed { get; set; }

        public List<string> Schemes { get; } = [];

        public List<string> Proofs { get; } = [];

        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            Record(request);
            var response = await base.SendAsync(request, cancellationToken);
            if (Armed)
            {
                Armed = false;
                response.Dispose();
                return new HttpResponseMessage(HttpStatusCode.Unauthorized);
            }
            return response;
        }

        private void Record(HttpRequestMessage request)
        {
            Schemes.Add(request.Headers.Authorization?.Scheme ?? "");
            Proofs.Add(request.Headers.TryGetValues("DPoP", out var proofs) ? proofs.Single() : "");
        }
    }
}
