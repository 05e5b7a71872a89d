using Orleans.Runtime;
using Sessions.Grains;
using StackExchange.Redis;

namespace Sessions.Api.Envelope;

/// <summary>
/// Turns what no handler answered into the envelope: unknown paths (404), wrong methods (405), storage or cluster
/// trouble (1599, 503 with Retry-After) and bugs (1500 with a correlation id that the log repeats).
/// </summary>
internal sealed partial class EnvelopeErrorMiddleware(RequestDelegate next, ILogger<EnvelopeErrorMiddleware> logger)
{
    private static readonly TimeSpan RetryAfterUnavailable = TimeSpan.FromSeconds(1);

    public async Task InvokeAsync(HttpContext context)
    {
        try
        {
            await next(context);
        }
        catch (Exception e) when (!context.Response.HasStarted && !context.RequestAborted.IsCancellationRequested)
        {
            context.Response.Clear();
            await EnvelopeWriter.WriteAsync(context, Map(context, e));
            return;
        }

        if (!context.Response.HasStarted && context.Response.StatusCode is StatusCodes.Status404NotFound or StatusCodes.Status405MethodNotAllowed)
        {
            var message = context.Response.StatusCode == StatusCodes.Status404NotFound ? "Not found." : "Method not allowed.";
            await EnvelopeWriter.WriteAsync(context, EnvelopeResult.Transport(context.Response.StatusCode, message));
        }
    }

    private EnvelopeResult Map(HttpContext context, Exception exception)
    {
        if (exception is BadHttpRequestException badRequest)
        {
            return EnvelopeResult.Transport(badRequest.StatusCode, badRequest.StatusCode == StatusCodes.Status413PayloadTooLarge
                ? "Request body too large." : "Bad request.");
        }
        if (exception is OrleansException or TimeoutException or RedisException)
        {
            LogUnavailable(exception, context.Request.Path, context.TraceIdentifier);
            return EnvelopeResult.Fail(AuthError.ServiceUnavailable, retryAfter: RetryAfterUnavailable);
        }

        LogInternalError(exception, context.Request.Path, context.TraceIdentifier);
        return EnvelopeResult.Fail(AuthError.InternalError, $"correlation id {context.TraceIdentifier}");
    }

    [LoggerMessage(EventId = 2001, Level = LogLevel.Warning, Message = "Storage or cluster unavailable for {Path} (correlation id {CorrelationId})")]
    private partial void LogUnavailable(Exception exception, string path, string correlationId);

    [LoggerMessage(EventId = 2002, Level = LogLevel.Error, Message = "Unhandled error for {Path} (correlation id {CorrelationId})")]
    private partial void LogInternalError(Exception exception, string path, string correlationId);
}
