using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using Microsoft.Extensions.DependencyInjection;

namespace Sessions.Tests.Infrastructure;

/// <summary>
/// What the chosen instruments of one meter factory (one API host's, or one app's) measure from now on, with their
/// tags: other hosts and apps in the test process have meters of the same names.
/// </summary>
public sealed class Measurements : IDisposable
{
    private readonly ServiceProvider? _ownServices;
    private readonly MeterListener _listener = new();
    private readonly ConcurrentQueue<(string Instrument, double Value, Dictionary<string, object?> Tags)> _seen = new();

    /// <param name="chosen">Which of the factory's instruments to listen to.</param>
    /// <param name="meters">The factory; by default one of their own (<see cref="Meters"/>, for the app under test).</param>
    public Measurements(Func<Instrument, bool> chosen, IMeterFactory? meters = null)
    {
        if (meters is null)
        {
            _ownServices = new ServiceCollection().AddMetrics().BuildServiceProvider();
            meters = _ownServices.GetRequiredService<IMeterFactory>();
        }
        Meters = meters;
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if (ReferenceEquals(instrument.Meter.Scope, Meters) && chosen(instrument))
            {
                listener.EnableMeasurementEvents(instrument);
            }
        };
        _listener.SetMeasurementEventCallback<long>((instrument, value, tags, _) => Record(instrument, value, tags));
        _listener.SetMeasurementEventCallback<double>((instrument, value, tags, _) => Record(instrument, value, tags));
        _listener.Start();
    }

    public IMeterFactory Meters { get; }

    /// <summary>The client library's meter (<c>Sessions.Client</c>), made through <paramref name="meters"/> or a factory of their own.</summary>
    public static Measurements OfClientLibrary(IMeterFactory? meters = null) => new(instrument => instrument.Meter.Name == "Sessions.Client", meters);

    /// <summary>The sum of what <paramref name="instrument"/> recorded with at least these tags.</summary>
    public double Sum(string instrument, params (string Tag, object Value)[] tags) => Matching(instrument, tags).Sum(m => m.Value);

    /// <summary>How many times <paramref name="instrument"/> recorded with at least these tags (a histogram's count).</summary>
    public int Recordings(string instrument, params (string Tag, object Value)[] tags) => Matching(instrument, tags).Count();

    /// <summary>Every tag value recorded, as text.</summary>
    public IEnumerable<string> TagValues() => _seen.SelectMany(m => m.Tags.Values).Select(v => v?.ToString() ?? "");

    public void Dispose()
    {
        _listener.Dispose();
        _ownServices?.Dispose();
    }

    private IEnumerable<(string Instrument, double Value, Dictionary<string, object?> Tags)> Matching(string instrument, (string Tag, object Value)[] tags) =>
        _seen.Where(m => m.Instrument == instrument && tags.All(t => m.Tags.TryGetValue(t.Tag, out var value) && Equals(value, t.Value)));

    private void Record<T>(Instrument instrument, T value, ReadOnlySpan<KeyValuePair<string, object?>> tags) where T : struct
    {
        var copied = new Dictionary<string, object?>(StringComparer.Ordinal);
        foreach (var tag in tags)
        {
            copied[tag.Key] = tag.Value;
        }
        _seen.Enqueue((instrument.Name, Convert.ToDouble(value, System.Globalization.CultureInfo.InvariantCulture), copied));
    }
}
