using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Sessions.Tests.Infrastructure;

namespace Sessions.Tests.Api;

/// <summary>
/// What an operator's logs hold through an incident (README, "Operations"): while the store is down every call is
/// refused with 1599, and each kind of error (category, event, exception type) is written with its stack only a few times
/// a window, then counted, with one line per kind at the window's end saying how many were left out. The audit trail,
/// whose records carry no exception, is never thinned.
/// </summary>
public sealed class IncidentLoggingTests
{
    private const int RepeatsPerWindow = 5;

    [Fact]
    public async Task AStoreOutageWritesEachKindOfErrorAFewTimesAWindowAndCountsTheRest()
    {
        var logs = new CapturedLogs();
        await using var factory = new ApiFactory(services: s => s.AddSingleton<ILoggerProvider>(logs));
        var (client, customers) = await factory.StopStoreAfterLoginsAsync(12);
        var before = logs.Entries.Count;

        var answers = await Task.WhenAll(customers.Select(c => client.PostAsync("token/regenerate", c.Phone.Body(("key", c.Key)))));
        var errors = logs.Entries.Skip(before).Where(e => e.Exception is not null).ToList();
        factory.Clock.Advance(TimeSpan.FromSeconds(10));
        var leftOut = logs.Entries.Where(e => e.EventId.Id == 2005).ToList();

        Assert.All(answers, a => Assert.Equal((HttpStatusCode.ServiceUnavailable, 1599), (a.Status, a.Code)));
        var kinds = errors.GroupBy(e => (e.Category, e.EventId.Id)).ToList();
        Assert.Contains(kinds, k => k.Key == ("Sessions.Api.Envelope.EnvelopeErrorMiddleware", 2001));
        Assert.All(kinds, k => Assert.InRange(k.Count(), 1, RepeatsPerWindow));
        // 12 refused calls each logged 2001 once: 5 written, and the window's end says 7 were left out.
        var unavailable = Assert.Single(leftOut, e => e.Values["Category"] == "Sessions.Api.Envelope.EnvelopeErrorMiddleware");
        Assert.Equal("7", unavailable.Values["LeftOut"]);
        Assert.Equal(LogLevel.Warning, unavailable.Level);
        Assert.Null(unavailable.Exception);
    }

    [Fact]
    public async Task AJsonLogLineHoldsItsMessageAndItsValuesAsWithoutTheSampler()
    {
        await using var api = new ApiProcess(new() { ["Logging:Console:FormatterName"] = "json" });
        await api.StartAsync();
        var phone = TestDevice.NewMobile();

        await api.Client.StartLoginAsync(phone);

        var json = await api.JsonLogLineAsync(eventId: 3003);
        Assert.StartsWith("OTP sent: DEMO MOBILE ", json.GetProperty("Message").GetString(), StringComparison.Ordinal);
        // The values and the template, as a LoggerMessage state gives them: not the sampling logger's state type.
        Assert.Equal(["Brand", "ClientAddress", "DeviceId", "Flow", "Identifier", "IdentifierType", "{OriginalFormat}"],
            json.GetProperty("State").EnumerateObject().Select(p => p.Name).Order(StringComparer.Ordinal));
        Assert.Equal("DEMO", json.GetProperty("State").GetProperty("Brand").GetString());
    }

    [Fact]
    public async Task TheAuditTrailIsWrittenWholeHoweverOftenAnEventRepeats()
    {
        var logs = new CapturedLogs();
        await using var factory = new ApiFactory(services: s => s.AddSingleton<ILoggerProvider>(logs));
        var client = factory.CreateSessionsClient();
        using var ownersKey = new DeviceKey(factory.Clock);
        using var thiefsKey = new DeviceKey(factory.Clock);
        var phone = TestDevice.NewMobile(TestBrands.Bound);
        var key = (await client.LoginAsync(phone, ownersKey)).Key!;

        for (var i = 0; i < 3 * RepeatsPerWindow; i++)
        {
            Assert.Equal(1561, (await client.PostWithProofAsync("token/regenerate", phone.Body(("key", key)), thiefsKey)).Code);
        }

        Assert.Equal(3 * RepeatsPerWindow, logs.Entries.Count(e => e.EventId.Id == 3014));
    }
}
