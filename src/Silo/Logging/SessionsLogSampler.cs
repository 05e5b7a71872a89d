using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.Sampling;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Sessions.Silo.Logging;

/// <summary>
/// The one sampler a logging pipeline may have, made of the service's rules: Orleans' impossible stall warnings are
/// dropped (<see cref="ImpossibleStalls"/>), and repeated errors are thinned (<see cref="RepeatedErrorSampler"/>).
/// </summary>
internal sealed class SessionsLogSampler(ImpossibleStalls impossibleStalls, RepeatedErrorSampler repeatedErrors) : LoggingSampler
{
    public override bool ShouldSample<TState>(in LogEntry<TState> logEntry) =>
        !impossibleStalls.Matches(logEntry) && repeatedErrors.ShouldSample(logEntry);
}

public static class LogSampling
{
    /// <summary>The service's log sampler (<see cref="SessionsLogSampler"/>), with its settings validated at start-up.</summary>
    public static ILoggingBuilder AddSessionsLogSampling(this ILoggingBuilder logging)
    {
        logging.Services.AddOptions<LogSamplingOptions>().BindConfiguration(LogSamplingOptions.SectionName)
            .Validate(o => o.RepeatsPerWindow is >= 1 and <= 10_000, $"{LogSamplingOptions.SectionName}:RepeatsPerWindow must be between 1 and 10000.")
            .Validate(o => o.WindowSeconds is >= 1 and <= 3600, $"{LogSamplingOptions.SectionName}:WindowSeconds must be between 1 and 3600.")
            .ValidateOnStart();
        logging.Services.AddSingleton<ImpossibleStalls>();
        logging.Services.AddSingleton<RepeatedErrorSampler>();
        return logging.AddSampler<SessionsLogSampler>();
    }
}
