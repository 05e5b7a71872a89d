using System.Diagnostics.Metrics;
using Microsoft.Extensions.DependencyInjection;

namespace Sessions.Tests.Infrastructure;

/// <summary>
/// Adds up one counter of one API host's meters, from now on (other hosts in the test process have meters of the same
/// name): what the service itself counted, e.g. <c>sessions.regenerations</c>.
/// </summary>
public sealed class HostCounter(IServiceProvider hostServices, string instrument) : IDisposable
{
    private readonly Measurements _measured = new(published => published.Name == instrument, hostServices.GetRequiredService<IMeterFactory>());

    public long Total => (long)_measured.Sum(instrument);

    public void Dispose() => _measured.Dispose();
}
