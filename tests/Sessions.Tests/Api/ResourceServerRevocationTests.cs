using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using Sessions.ResourceServer;
using Sessions.Tests.Infrastructure;
using static Sessions.Tests.Infrastructure.TestResourceServer;

namespace Sessions.Tests.Api;

/// <summary>
/// <c>AddSessionsRevocationCheck</c> of <c>Sessions.ResourceServer</c> against the real service: a session that ends at
/// the service (here: replaced by a new login on its device) is refused by the resource server once its recheck is
/// due, with one introspection per session and interval however many calls it makes.
/// </summary>
public sealed class ResourceServerRevocationTests
{
    private static readonly TimeSpan Recheck = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task ASessionThatEndsAtTheServiceIsRefusedByTheResourceServerOnceItsRecheckIsDue()
    {
        await using var sessions = new ApiFactory();
        var client = sessions.CreateSessionsClient();
        var phone = TestDevice.NewMobile(TestBrands.Signed);
        var ended = (await client.LoginAsync(phone)).Token!;
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var route = new RouteToSessions { Target = sessions.Server.CreateHandler() };
        await using var resourceServer = await StartResourceServerAsync(route, TestBrands.Signed, RevocationCheck(route, clock));
        var whileLive = await CallAsync(resourceServer, "Bearer", ended);

        var replacing = (await client.LoginAsync(phone)).Token!;
        var beforeTheRecheck = await CallAsync(resourceServer, "Bearer", ended);
        clock.Advance(Recheck);
        var afterTheRecheck = await CallAsync(resourceServer, "Bearer", ended);
        var theNewSession = await CallAsync(resourceServer, "Bearer", replacing);

        Assert.Equal(HttpStatusCode.OK, whileLive);
        Assert.Equal(HttpStatusCode.OK, beforeTheRecheck);
        Assert.Equal(HttpStatusCode.Unauthorized, afterTheRecheck);
        Assert.Equal(HttpStatusCode.OK, theNewSession);
    }

    [Fact]
    public async Task ABurstOfCallsOfOneSessionAsksTheServiceOncePerInterval()
    {
        await using var sessions = new ApiFactory();
        var token = (await sessions.CreateSessionsClient().LoginAsync(TestDevice.NewMobile(TestBrands.Signed))).Token!;
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var route = new RouteToSessions { Target = sessions.Server.CreateHandler() };
        await using var resourceServer = await StartResourceServerAsync(route, TestBrands.Signed, RevocationCheck(route, clock));

        var burst = await Task.WhenAll(Enumerable.Range(0, 25).Select(_ => CallAsync(resourceServer, "Bearer", token)));
        var askedForTheBurst = route.RequestsTo(Introspection);
        clock.Advance(Recheck);
        var later = await Task.WhenAll(Enumerable.Range(0, 5).Select(_ => CallAsync(resourceServer, "Bearer", token)));

        Assert.All(burst.Concat(later), status => Assert.Equal(HttpStatusCode.OK, status));
        Assert.Equal(1, askedForTheBurst);
        Assert.Equal(2, route.RequestsTo(Introspection));
    }

    [Fact]
    public async Task WhileTheServiceCannotAnswerATokenIsAcceptedOnItsSignatureOrRefusedWith503WhenTheServerSaysSo()
    {
        await using var sessions = new ApiFactory();
        var token = (await sessions.CreateSessionsClient().LoginAsync(TestDevice.NewMobile(TestBrands.Signed))).Token!;
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var route = new RouteToSessions { Target = sessions.Server.CreateHandler() };
        await using var accepting = await StartResourceServerAsync(route, TestBrands.Signed, RevocationCheck(route, clock));
        await using var refusing = await StartResourceServerAsync(route, TestBrands.Signed, RevocationCheck(route, clock, o => o.RefuseWhenUnavailable = true));
        var whileUp = (await CallAsync(accepting, "Bearer", token), await CallAsync(refusing, "Bearer", token));

        route.Target = null;
        clock.Advance(Recheck);
        var acceptedWhileDown = await CallAsync(accepting, "Bearer", token);
        using var refusedWhileDown = await SendAsync(refusing, "Bearer", token);

        Assert.Equal((HttpStatusCode.OK, HttpStatusCode.OK), whileUp);
        Assert.Equal(HttpStatusCode.OK, acceptedWhileDown);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, refusedWhileDown.StatusCode);
        Assert.Equal(TimeSpan.FromSeconds(1), refusedWhileDown.Headers.RetryAfter?.Delta);
    }

    [Theory]
    [InlineData("http://sessions.example/auth/v1/token/introspect", "secret", 30, "SessionRevocationOptions.Endpoint")]
    [InlineData("/auth/v1/token/introspect", "secret", 30, "SessionRevocationOptions.Endpoint")]
    [InlineData("https://sessions.example/auth/v1/token/introspect", "", 30, "SessionRevocationOptions.Secret")]
    [InlineData("https://sessions.example/auth/v1/token/introspect", "secret", 0, "SessionRevocationOptions.RecheckAfter")]
    [InlineData("https://sessions.example/auth/v1/token/introspect", "secret", 3600, "SessionRevocationOptions.RecheckAfter")]
    public void ARevocationCheckThatCannotWorkSafelyIsRefusedAtStartUpNamingTheSetting(string endpoint, string secret, int recheckSeconds, string setting)
    {
        using var services = new ServiceCollection().AddSessionsRevocationCheck(o =>
        {
            o.Endpoint = new Uri(endpoint, UriKind.RelativeOrAbsolute);
            o.Brand = "DEMO";
            o.Secret = secret;
            o.RecheckAfter = TimeSpan.FromSeconds(recheckSeconds);
        }).BuildServiceProvider();

        var refused = Assert.Throws<OptionsValidationException>(() => services.GetRequiredService<IOptions<SessionRevocationOptions>>().Value);

        Assert.Contains(setting, refused.Message, StringComparison.Ordinal);
    }

    /// <summary>The check as a resource server would configure it, reaching the service over <paramref name="route"/>, on <paramref name="clock"/>.</summary>
    private static Action<IServiceCollection> RevocationCheck(RouteToSessions route, TimeProvider clock, Action<SessionRevocationOptions>? more = null) => services =>
    {
        services.AddSingleton(clock);
        services.AddSessionsRevocationCheck(o =>
        {
            o.Endpoint = Introspection;
            o.Brand = TestBrands.Signed;
            o.Secret = TestBrands.IntrospectionSecret;
            o.RecheckAfter = Recheck;
            o.Backchannel = new HttpClient(route);
            more?.Invoke(o);
        });
    };
}
