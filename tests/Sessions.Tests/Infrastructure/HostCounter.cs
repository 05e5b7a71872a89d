using System.Diagnostics.Metrics;
using Microsoft.Extensions.DependencyInjection;

namespace Sessions.Tests.Infrastructure;

/// <summary>
/// Adds up one counter of one API host's meters, from now on (other hosts in the test process have meters of the same
/// name): what the service itself counted, e.g. <c>sessions.regenerations</c>.
/// </summary>
public sealed class HostCounter : IDisposable
{
    private readonly MeterListener _listener = new();
    private long _total;

    public HostCounter(IServiceProvider hostServices, string instrument)
    {
        var hostMeters = hostServices.GetRequiredService<IMeterFactory>();
        _listener.InstrumentPublished = (published, listener) =>
        {
            if (published.Name == instrument && ReferenceEquals(published.Meter.Scope, hostMeters))
            {
                listener.EnableMeasurementEvents(published);
            }
        };
        _listener.SetMeasurementEventCallback<long>((_, value, _, _) => Interlocked.Add(ref _total, value));
        _listener.Start();
    }

    public long Total => Interlocked.Read(ref _total);

    public void Dispose() => _listener.Dispose();
}
