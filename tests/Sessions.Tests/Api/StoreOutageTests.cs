using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Sessions.Silo.Storage;
using Sessions.Tests.Infrastructure;

namespace Sessions.Tests.Api;

/// <summary>
/// A regenerate the store fails is tried again for a whole schedule (about 1.75 s), in case the store only blinked. Once
/// the store has failed every call for longer than that, a refusal is answered at once: an outage does not hold every
/// request for the schedule and multiply the calls against the store by five (README, "Crashes and restarts").
/// </summary>
public sealed class StoreOutageTests
{
    [Fact]
    public async Task AnOutageThatOutlastsTheRetriesIsAnsweredAtOnce()
    {
        var logs = new CapturedLogs();
        await using var factory = new ApiFactory(services: s => s.AddSingleton<ILoggerProvider>(logs));
        var client = factory.CreateSessionsClient();
        var customers = await client.LogInPhonesAsync(6);
        using var retries = new HostCounter(factory.Services, "sessions.retries");
        using var answeredAtOnce = new HostCounter(factory.Services, "sessions.retries.skipped");
        factory.Services.GetRequiredService<EmbeddedGarnet>().Dispose();

        var first = await client.PostAsync("token/regenerate", customers[0].Phone.Body(("key", customers[0].Key)));
        var retriedFirst = retries.Total;
        var later = await Task.WhenAll(customers.Skip(1).Select(c => client.PostAsync("token/regenerate", c.Phone.Body(("key", c.Key)))));

        Assert.All(later.Prepend(first), a => Assert.Equal((HttpStatusCode.ServiceUnavailable, 1599), (a.Status, a.Code)));
        Assert.Equal(4, retriedFirst);
        Assert.Equal(retriedFirst, retries.Total);
        Assert.Equal(later.Length, answeredAtOnce.Total);
        Assert.Single(logs.Entries, e => e.EventId.Id == 2008 && e.Level == LogLevel.Warning);
    }
}
