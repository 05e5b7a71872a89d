using System.Collections.Concurrent;
using System.Diagnostics;
using System.Diagnostics.Metrics;
using Microsoft.Extensions.DependencyInjection;
using Sessions.Client;
using Sessions.Client.Storage;
using Sessions.Tests.Infrastructure;
using AppClient = Sessions.Client.SessionsClient;

namespace Sessions.Tests.ClientLibrary;

/// <summary>
/// What the client library tells an app's operators (meter and activity source <c>Sessions.Client</c>): each regenerate
/// by flow and outcome, its attempts and replays, callers that joined one in flight, and why sessions ended; never a
/// key, token or who the customer is.
/// </summary>
[Collection(ClientCollection.Name)]
public sealed class ClientTelemetryTests(ClientFixture fixture)
{
    private static readonly TimeSpan AlmostExpired = TimeSpan.FromMinutes(14.5);

    [Fact]
    public async Task ARegenerateIsCountedByFlowAndOutcomeAndTracedUnderTheCallThatStartedItWithoutAKeyOrIdentifier()
    {
        using var measured = Measurements.OfClientLibrary();
        await using var customer = await fixture.LogInNewCustomerAsync(meters: measured.Meters);
        var key = (await customer.StoredKeyAsync())!;
        fixture.Factory.Clock.Advance(AlmostExpired);
        using var traced = new ClientTraces();

        string token;
        ActivitySpanId caller;
        using (var call = traced.StartCall())
        {
            caller = call.SpanId;
            token = await customer.Session.GetTokenAsync();
        }

        Assert.Equal(1, measured.Sum("sessions.client.regenerations", ("sessions.flow", "primary"), ("sessions.outcome", "success"), ("sessions.key_rotated", true)));
        Assert.Equal(1, measured.Sum("sessions.client.regenerations"));
        Assert.Equal(1, measured.Recordings("sessions.client.regenerate.duration", ("sessions.flow", "primary"), ("sessions.outcome", "success")));
        Assert.Equal(1, measured.Sum("sessions.client.regenerate.attempts", ("sessions.attempt.result", "answered"), ("sessions.attempt.replay", false)));
        Assert.Equal(0, measured.Sum("sessions.client.refresh.joined"));
        Assert.Equal(0, measured.Sum("sessions.client.sessions.ended"));
        var span = Assert.Single(traced.Regenerates);
        Assert.Equal(caller, span.ParentSpanId);
        Assert.Equal("primary", span.GetTagItem("sessions.flow"));
        Assert.Equal("success", span.GetTagItem("sessions.outcome"));
        Assert.Equal(ActivityStatusCode.Unset, span.Status);
        var told = measured.TagValues().Concat(ClientTraces.TagValues(span)).ToList();
        Assert.NotEmpty(told);
        Assert.DoesNotContain(told, value => value.Contains(key, StringComparison.Ordinal) || value.Contains(token, StringComparison.Ordinal)
            || value.Contains(customer.Device.IdentifierValue, StringComparison.Ordinal) || value.Contains(customer.Device.DeviceId!, StringComparison.Ordinal));
    }

    [Fact]
    public async Task CallersThatArriveWhileARegenerateIsInFlightAreCountedAsJoiningIt()
    {
        using var measured = Measurements.OfClientLibrary();
        var held = new HeldRegenerate();
        await using var customer = await fixture.LogInNewCustomerAsync(faults: held, meters: measured.Meters);
        fixture.Factory.Clock.Advance(AlmostExpired);

        var first = customer.Session.GetTokenAsync().AsTask();
        await held.Reached.Task.WaitAsync(TimeSpan.FromSeconds(30));
        var others = Enumerable.Range(0, 9).Select(_ => customer.Session.GetTokenAsync().AsTask()).ToArray();
        held.Release.SetResult();
        var tokens = await Task.WhenAll([first, .. others]);

        Assert.Single(tokens.Distinct());
        Assert.Equal(9, measured.Sum("sessions.client.refresh.joined"));
        Assert.Equal(1, measured.Sum("sessions.client.regenerations", ("sessions.outcome", "success")));
        Assert.Equal(1, measured.Sum("sessions.client.regenerate.attempts"));
    }

    [Fact]
    public async Task AnAnswerLostAfterTheServiceRotatedIsCountedAsAnUnreachableAttemptAndTheRetryAsAReplay()
    {
        using var measured = Measurements.OfClientLibrary();
        var network = new FaultyNetwork(fixture.Factory.Clock);
        await using var customer = await fixture.LogInNewCustomerAsync(faults: network, meters: measured.Meters);
        fixture.Factory.Clock.Advance(AlmostExpired);

        network.AnswersToLose = 1;
        await customer.Session.GetTokenAsync();

        Assert.Equal(1, measured.Sum("sessions.client.regenerate.attempts", ("sessions.attempt.result", "unreachable"), ("sessions.attempt.replay", false)));
        Assert.Equal(1, measured.Sum("sessions.client.regenerate.attempts", ("sessions.attempt.result", "answered"), ("sessions.attempt.replay", true)));
        Assert.Equal(2, measured.Sum("sessions.client.regenerate.attempts"));
        Assert.Equal(1, measured.Sum("sessions.client.regenerations", ("sessions.outcome", "success"), ("sessions.key_rotated", true)));
    }

    [Fact]
    public async Task AnOfflineDeviceIsCountedAsUnavailableAndNotAsAnEndedSession()
    {
        using var measured = Measurements.OfClientLibrary();
        var network = new FaultyNetwork(fixture.Factory.Clock) { Offline = true };
        await using var customer = await fixture.LogInNewCustomerAsync(faults: network, meters: measured.Meters);
        fixture.Factory.Clock.Advance(AlmostExpired);

        await Assert.ThrowsAsync<SessionsUnavailableException>(() => fixture.WhileTheClockRunsAsync(customer.Session.GetTokenAsync().AsTask()));

        Assert.Equal(1, measured.Sum("sessions.client.regenerations", ("sessions.outcome", "unavailable")));
        Assert.Equal(1, measured.Sum("sessions.client.regenerations"));
        var attempts = measured.Sum("sessions.client.regenerate.attempts", ("sessions.attempt.result", "unreachable"), ("sessions.attempt.replay", false));
        Assert.True(attempts >= 2, $"{attempts} attempts");
        Assert.Equal(attempts, measured.Sum("sessions.client.regenerate.attempts"));
        Assert.Equal(0, measured.Sum("sessions.client.sessions.ended"));
    }

    [Fact]
    public async Task ASessionAThiefRevokedIsCountedAsEndedWithItsReasonAndItsSpanFails()
    {
        using var measured = Measurements.OfClientLibrary();
        await using var customer = await fixture.LogInNewCustomerAsync(meters: measured.Meters);
        var stolen = await customer.StoredKeyAsync();
        fixture.Factory.Clock.Advance(AlmostExpired);
        await customer.Session.GetTokenAsync();
        fixture.Factory.Clock.Advance(TimeSpan.FromSeconds(31));
        Assert.Equal(1525, (await fixture.Api.PostAsync("token/regenerate", customer.Device.Body(("key", stolen)))).Code);
        fixture.Factory.Clock.Advance(AlmostExpired);
        using var traced = new ClientTraces();

        using (traced.StartCall())
        {
            await Assert.ThrowsAsync<SessionEndedException>(() => customer.Session.GetTokenAsync().AsTask());
        }

        Assert.Equal(1, measured.Sum("sessions.client.regenerations", ("sessions.outcome", "ended"), ("sessions.end_reason", "Revoked")));
        Assert.Equal(1, measured.Sum("sessions.client.sessions.ended", ("sessions.end_reason", "Revoked")));
        Assert.Equal(1, measured.Sum("sessions.client.sessions.ended"));
        var span = Assert.Single(traced.Regenerates);
        Assert.Equal(ActivityStatusCode.Error, span.Status);
        Assert.Equal("Revoked", span.StatusDescription);
        Assert.Equal("ended", span.GetTagItem("sessions.outcome"));
    }

    [Fact]
    public async Task ALogoutIsCountedAsAnEndedSessionWithoutARegenerate()
    {
        using var measured = Measurements.OfClientLibrary();
        await using var customer = await fixture.LogInNewCustomerAsync(meters: measured.Meters);

        Assert.True(await customer.Session.LogOutAsync());

        Assert.Equal(1, measured.Sum("sessions.client.sessions.ended", ("sessions.end_reason", "LoggedOut")));
        Assert.Equal(0, measured.Sum("sessions.client.regenerations"));
    }

    [Fact]
    public async Task UnderDependencyInjectionTheClientMeasuresThroughTheHostsMeterFactory()
    {
        var services = new ServiceCollection();
        services.AddMetrics();
        services.AddSingleton<ISessionStore>(new InMemorySessionStore());
        services.AddSingleton<TimeProvider>(fixture.Factory.Clock);
        services.AddSessionsClient(o =>
        {
            o.BaseAddress = new Uri("http://localhost/");
            o.Brand = TestBrands.Demo;
        }).ConfigurePrimaryHttpMessageHandler(() => fixture.Factory.Server.CreateHandler());
        await using var provider = services.BuildServiceProvider();
        using var measured = Measurements.OfClientLibrary(provider.GetRequiredService<IMeterFactory>());
        var app = provider.GetRequiredService<AppClient>();
        var (identity, device) = ClientFixture.NewCustomer();
        var session = await fixture.LogInAsync(app, device, identity);
        fixture.Factory.Clock.Advance(AlmostExpired);

        await session.GetTokenAsync();

        Assert.Equal(1, measured.Sum("sessions.client.regenerations", ("sessions.outcome", "success")));
    }
}

/// <summary>The <c>Sessions.Client</c> regenerate spans started under this test's own calls (<see cref="StartCall"/>).</summary>
internal sealed class ClientTraces : IDisposable
{
    private static readonly ActivitySource Calls = new("Sessions.Tests.AppCalls");
    private readonly ActivityListener _listener;
    private readonly ConcurrentQueue<Activity> _stopped = new();
    private readonly ConcurrentDictionary<ActivityTraceId, bool> _traces = new();

    public ClientTraces()
    {
        _listener = new ActivityListener
        {
            ShouldListenTo = source => source.Name is "Sessions.Client" or "Sessions.Tests.AppCalls",
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = activity =>
            {
                if (activity.Source.Name == "Sessions.Client" && _traces.ContainsKey(activity.TraceId))
                {
                    _stopped.Enqueue(activity);
                }
            },
        };
        ActivitySource.AddActivityListener(_listener);
    }

    public IReadOnlyList<Activity> Regenerates => [.. _stopped.Where(a => a.OperationName == "Sessions.Client.Regenerate")];

    /// <summary>A span of the app's own, under which the test calls the library.</summary>
    public Activity StartCall()
    {
        var call = Calls.StartActivity("app call") ?? throw new InvalidOperationException("The test's activity source has no listener.");
        _traces[call.TraceId] = true;
        return call;
    }

    public static IEnumerable<string> TagValues(Activity span) =>
        span.TagObjects.Select(t => t.Value?.ToString() ?? "")
            .Concat(span.Events.SelectMany(e => e.Tags).Select(t => t.Value?.ToString() ?? ""))
            .Append(span.StatusDescription ?? "")
            .Append(span.DisplayName);

    public void Dispose() => _listener.Dispose();
}
