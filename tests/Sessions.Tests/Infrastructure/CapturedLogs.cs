using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace Sessions.Tests.Infrastructure;

/// <summary>Every log entry of a host, formatted and with its structured values, for tests that read the logs.</summary>
public sealed class CapturedLogs : ILoggerProvider
{
    private readonly ConcurrentQueue<CapturedEntry> _entries = new();

    public IReadOnlyCollection<CapturedEntry> Entries => _entries;

    /// <summary>The last warnings and errors, oldest first, with their exceptions.</summary>
    public IEnumerable<string> LastWarnings(int count) =>
        _entries.Where(e => e.Level >= LogLevel.Warning).TakeLast(count).Select(e => $"{e.Level} {e.Category}: {e.Message} {e.Exception}");

    public ILogger CreateLogger(string categoryName) => new Logger(categoryName, _entries);

    public void Dispose()
    {
    }

    private sealed class Logger(string category, ConcurrentQueue<CapturedEntry> entries) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            var values = state as IEnumerable<KeyValuePair<string, object?>> ?? [];
            entries.Enqueue(new CapturedEntry(category, logLevel, eventId, formatter(state, exception),
                values.ToDictionary(v => v.Key, v => v.Value?.ToString()), exception?.ToString()));
        }
    }
}

public sealed record CapturedEntry(string Category, LogLevel Level, EventId EventId, string Message, Dictionary<string, string?> Values, string? Exception)
{
    public string Everything => $"{Message} {string.Join(' ', Values.Values)} {Exception}";
}
