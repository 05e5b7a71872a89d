using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Orleans.Configuration;

namespace Sessions.Grains;

/// <summary>
/// A grain call acts only while its caller still waits for it. Orleans gives a call a time to live that restarts on
/// each hop: a request that sat in the socket buffer of a silo its host had frozen (a VM stall, a long pause) is read
/// after the thaw as if it had just been sent, long after the API gave up on it, retried, and told the client. Run
/// then, a regenerate presents a key two rotations old and revokes the family of a client that did nothing wrong.
/// So every call carries an absolute deadline, its caller's response timeout from when it was made, in the request
/// context, which calls made on its behalf inherit; a call that reaches its grain past the deadline is dropped
/// unrun. This assumes that the clocks of the API's and the silos' hosts agree to well within the 3 s of a
/// regenerate's timeout, as NTP keeps them. The embedded default, one process with one silo, does without: no call
/// of its leaves the process.
/// </summary>
public static partial class CallDeadlines
{
    // The deadline in UTC ticks: a long, which every request context carries across silos as it is.
    internal const string DeadlineKey = "sessions-deadline";

    /// <summary>Stamps this process's calls (the API's cluster client) with their deadline.</summary>
    public static IClientBuilder AddCallDeadlines(this IClientBuilder client)
    {
        client.Services.AddSingleton<IOutgoingGrainCallFilter>(sp =>
            new Stamp(Clock(sp), sp.GetRequiredService<IOptions<ClientMessagingOptions>>().Value.ResponseTimeout));
        return client;
    }

    /// <summary>Stamps the calls this silo makes (the co-hosted API's, and grains') and drops those that arrive late.</summary>
    public static ISiloBuilder AddCallDeadlines(this ISiloBuilder silo)
    {
        silo.Services.AddSingleton<IOutgoingGrainCallFilter>(sp =>
            new Stamp(Clock(sp), sp.GetRequiredService<IOptions<SiloMessagingOptions>>().Value.ResponseTimeout));
        silo.Services.AddSingleton<IIncomingGrainCallFilter>(sp =>
            new DropLate(Clock(sp), sp.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(CallDeadlines))));
        return silo;
    }

    // The runtime's clock, not the session rules' (ServiceKeys.Clock), which tests move by days.
    private static TimeProvider Clock(IServiceProvider services) => services.GetService<TimeProvider>() ?? TimeProvider.System;

    private sealed class Stamp(TimeProvider clock, TimeSpan defaultTimeout) : IOutgoingGrainCallFilter
    {
        // A call made on behalf of another keeps that one's deadline: its result is no use to anyone later.
        public Task Invoke(IOutgoingGrainCallContext context) =>
            RequestContext.Get(DeadlineKey) is null ? StampedAsync(context) : context.Invoke();

        // Async, so that the deadline set here is this call's alone: the caller's next call (a retry) gets its own.
        private async Task StampedAsync(IOutgoingGrainCallContext context)
        {
            var timeout = context.Request.GetDefaultResponseTimeout() ?? defaultTimeout;
            RequestContext.Set(DeadlineKey, (clock.GetUtcNow() + timeout).UtcTicks);
            await context.Invoke();
        }
    }

    private sealed partial class DropLate(TimeProvider clock, ILogger logger) : IIncomingGrainCallFilter
    {
        public Task Invoke(IIncomingGrainCallContext context)
        {
            if (RequestContext.Get(DeadlineKey) is long deadline)
            {
                var late = clock.GetUtcNow() - new DateTimeOffset(deadline, TimeSpan.Zero);
                if (late > TimeSpan.Zero)
                {
                    LogDropped(context.InterfaceName, context.MethodName, late.TotalMilliseconds);
                    throw new TimeoutException($"{context.InterfaceName}.{context.MethodName} reached its grain {late.TotalMilliseconds:F0} ms after its caller's deadline, and did not run.");
                }
            }
            return context.Invoke();
        }

        [LoggerMessage(EventId = 1020, Level = LogLevel.Warning,
            Message = "A call to {Interface}.{Method} arrived {LateMilliseconds:F0} ms after its caller gave up (a stalled silo or network); dropped without running")]
        private partial void LogDropped(string @interface, string method, double lateMilliseconds);
    }
}
