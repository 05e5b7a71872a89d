using System.Diagnostics;
using Sessions.Api.Envelope;

namespace Sessions.Api.Operations;

/// <summary>Times every <c>/auth/v1</c> request and counts it by route and the envelope code it answered with.</summary>
internal sealed class RequestMetricsMiddleware(RequestDelegate next, SessionsMetrics metrics)
{
    public async Task InvokeAsync(HttpContext context)
    {
        if (!context.Request.Path.StartsWithSegments("/auth/v1"))
        {
            await next(context);
            return;
        }

        var started = Stopwatch.GetTimestamp();
        try
        {
            await next(context);
        }
        finally
        {
            var route = (context.GetEndpoint() as RouteEndpoint)?.RoutePattern.RawText ?? "unmatched";
            var code = context.Items[EnvelopeWriter.CodeItem] as int? ?? context.Response.StatusCode;
            metrics.Request(route, code, Stopwatch.GetElapsedTime(started));
        }
    }
}
