using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Sessions.Grains.Configuration;

namespace Sessions.Silo.Hosting;

/// <summary>Says at start-up which brands accept fixed test OTPs, so that no one ships them by accident (API.md §7).</summary>
internal sealed partial class TestIdentifierWarning(IOptions<SessionsOptions> options, ILogger<TestIdentifierWarning> logger) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        foreach (var (brand, settings) in options.Value.Brands)
        {
            if (settings.TestIdentifiers.Count > 0)
            {
                LogTestIdentifiers(brand, settings.TestIdentifiers.Count);
            }
        }
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    [LoggerMessage(EventId = 102, Level = LogLevel.Warning, Message = "Brand {Brand} has {Count} test identifier(s): they log in with a fixed OTP and nothing is sent")]
    private partial void LogTestIdentifiers(string brand, int count);
}
