using System.Text.RegularExpressions;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Logging.Console;
using Microsoft.Extensions.Options;
using Sessions.Grains.Identity;

namespace Sessions.Silo.Logging;

/// <summary>
/// Wraps each of the console's formatters (simple, json, systemd) so that no line leaves the process with a customer's
/// identifier or device id in it: grain ids and storage keys (<c>device-session/DEMO/EMAIL/ada%40example.com/phone-1</c>),
/// which the Orleans runtime and exception messages print, are masked as the audit trail masks them, and the Unicode
/// line separators a formatter never writes itself are escaped, so no value can start a forged line.
/// </summary>
internal sealed partial class RedactingConsoleFormatter(string inner, IServiceProvider services) : ConsoleFormatter(Prefix + inner)
{
    public const string Prefix = "sessions-";

    private ConsoleFormatter? _inner;

    [ThreadStatic]
    private static StringWriter? t_buffer;

    public override void Write<TState>(in LogEntry<TState> logEntry, IExternalScopeProvider? scopeProvider, TextWriter textWriter)
    {
        _inner ??= services.GetServices<ConsoleFormatter>().First(f => f.Name == inner);
        var buffer = t_buffer ??= new StringWriter();
        buffer.GetStringBuilder().Clear();
        _inner.Write(WithMessage(logEntry), scopeProvider, buffer);
        textWriter.Write(Redact(buffer.ToString()));
    }

    /// <summary>
    /// The entry with a state whose text is the record's message, as a <c>LoggerMessage</c> state's is. The sampling
    /// logger (<see cref="SessionsLogSampler"/>) hands providers a state of its own whose text is a type name, which
    /// the JSON formatter would write as <c>State.Message</c>.
    /// </summary>
    private static LogEntry<MessageState> WithMessage<TState>(in LogEntry<TState> logEntry)
    {
        var message = logEntry.Formatter?.Invoke(logEntry.State, logEntry.Exception) ?? logEntry.State?.ToString() ?? "";
        var values = logEntry.State as IReadOnlyList<KeyValuePair<string, object?>> ?? [];
        return new LogEntry<MessageState>(logEntry.LogLevel, logEntry.Category, logEntry.EventId, new MessageState(message, values),
            logEntry.Exception, static (state, _) => state.Message);
    }

    private sealed class MessageState(string message, IReadOnlyList<KeyValuePair<string, object?>> values) : IReadOnlyList<KeyValuePair<string, object?>>
    {
        public string Message => message;

        public int Count => values.Count;

        public KeyValuePair<string, object?> this[int index] => values[index];

        public IEnumerator<KeyValuePair<string, object?>> GetEnumerator() => values.GetEnumerator();

        System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => GetEnumerator();

        public override string ToString() => message;
    }

    /// <summary>The text with every grain id's identifier value and device id masked, and line separators escaped.</summary>
    public static string Redact(string text)
    {
        var masked = GrainIdentity().Replace(text, match =>
        {
            var type = Enum.Parse<IdentifierType>(match.Groups["type"].Value);
            var value = LogMasks.Value(type, Uri.UnescapeDataString(match.Groups["value"].Value));
            var device = match.Groups["device"].Success ? "/" + LogMasks.Device(Uri.UnescapeDataString(match.Groups["device"].Value)) : "";
            return $"{match.Groups["prefix"].Value}{type}/{Uri.EscapeDataString(value)}{device}";
        });
        return masked.AsSpan().IndexOfAny('\u2028', '\u2029', '\u0085') < 0
            ? masked
            : masked.Replace("\u2028", "\\u2028", StringComparison.Ordinal).Replace("\u2029", "\\u2029", StringComparison.Ordinal).Replace("\u0085", "\\u0085", StringComparison.Ordinal);
    }

    // A grain key's parts are percent-encoded (GrainKeys), so a part never holds '/', white space or a quote.
    [GeneratedRegex(@"(?<prefix>\b(?:device-session|identifier|dev-outbox)/[A-Za-z0-9_-]{1,64}/)(?<type>MOBILE|EMAIL|USERNAME|EXTERNALID)/(?<value>[A-Za-z0-9._~%-]+)(?:/(?<device>[A-Za-z0-9._~%-]*))?")]
    private static partial Regex GrainIdentity();
}

public static class LogRedaction
{
    private static readonly string[] Formatters = [ConsoleFormatterNames.Simple, ConsoleFormatterNames.Json, ConsoleFormatterNames.Systemd];

    /// <summary>Every console formatter redacted (<see cref="RedactingConsoleFormatter"/>), whichever one configuration names.</summary>
    public static ILoggingBuilder AddSessionsLogRedaction(this ILoggingBuilder logging)
    {
        foreach (var name in Formatters)
        {
            logging.Services.AddSingleton<ConsoleFormatter>(sp => new RedactingConsoleFormatter(name, sp));
        }
        logging.Services.AddSingleton<IPostConfigureOptions<ConsoleLoggerOptions>, UseRedactingFormatter>();
        return logging;
    }

    private sealed class UseRedactingFormatter : IPostConfigureOptions<ConsoleLoggerOptions>
    {
        public void PostConfigure(string? name, ConsoleLoggerOptions options)
        {
            if (options.FormatterName?.StartsWith(RedactingConsoleFormatter.Prefix, StringComparison.Ordinal) != true)
            {
                options.FormatterName = RedactingConsoleFormatter.Prefix + (options.FormatterName ?? ConsoleFormatterNames.Simple);
            }
        }
    }
}
