using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Sessions.Tests.Infrastructure;

namespace Sessions.Tests.Api;

/// <summary>
/// Orleans' watchdog warns of a stall it measured (event 100150). At one start in two or three, a race in it measures from
/// zero and reports the machine's uptime as a stall (README, "Operations"). The service drops a stall longer than the
/// process has lived, and writes any other as Orleans reports it.
/// </summary>
public sealed class WatchdogLoggingTests(WatchdogLoggingTests.Host host) : IClassFixture<WatchdogLoggingTests.Host>
{
    // The record as Orleans' watchdog writes it: its category, event id, template and value.
    private static readonly Action<ILogger, TimeSpan, Exception?> ParticipantCheckStalled = LoggerMessage.Define<TimeSpan>(
        LogLevel.Warning, new EventId(100150, "LogWarningParticipantCheckThreadStalled"),
        "Participant check thread has not completed for {TimeSinceLastTick}, potentially indicating lock contention or deadlock, CPU starvation, or another execution anomaly.");

    [Fact]
    public void AStallLongerThanTheProcessHasLivedIsNotLogged()
    {
        ParticipantCheckStalled(host.Watchdog, new TimeSpan(7, 46, 48), null);

        Assert.DoesNotContain(host.Logs.Entries, e => e.EventId.Id == 100150 && e.Values.GetValueOrDefault("TimeSinceLastTick") == "07:46:48");
    }

    [Fact]
    public void AStallWithinTheProcessLifetimeIsLoggedAsOrleansReportsIt()
    {
        // A real stall is 20 s or more (twice the check period); any stall shorter than the process's life is believed.
        ParticipantCheckStalled(host.Watchdog, TimeSpan.FromMilliseconds(10), null);

        // Only this one: a loaded test host may also see a real stall of its own.
        var stall = Assert.Single(host.Logs.Entries, e => e.EventId.Id == 100150 && e.Values.GetValueOrDefault("TimeSinceLastTick") == "00:00:00.0100000");
        Assert.Equal(("Orleans.Runtime.Watchdog", LogLevel.Warning), (stall.Category, stall.Level));
        Assert.StartsWith("Participant check thread has not completed for 00:00:00.01", stall.Message, StringComparison.Ordinal);
    }

    /// <summary>One API host for both tests, with its logs captured; the watchdog's logger is made by its logging pipeline.</summary>
    public sealed class Host : IAsyncLifetime
    {
        private readonly ApiFactory _factory;

        public Host() => _factory = new ApiFactory(services: s => s.AddSingleton<ILoggerProvider>(Logs));

        public CapturedLogs Logs { get; } = new();

        public ILogger Watchdog { get; private set; } = null!;

        public Task InitializeAsync()
        {
            Watchdog = _factory.Services.GetRequiredService<ILoggerFactory>().CreateLogger("Orleans.Runtime.Watchdog");
            return Task.CompletedTask;
        }

        public async Task DisposeAsync() => await _factory.DisposeAsync();
    }
}
