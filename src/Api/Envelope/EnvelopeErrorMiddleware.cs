using Sessions.Grains;

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

        if (!context.Response.HasStarted && TransportMessage(context.Response.StatusCode) is { } message)
        {
            await EnvelopeWriter.WriteAsync(context, EnvelopeResult.Transport(context.Response.StatusCode, message));
        }
    }

    /// <summary>Statuses that routing sets without a body: no endpoint, wrong method, endpoint takes no such content type.</summary>
    private static string? TransportMessage(int status) => status switch
    {
        StatusCodes.Status404NotFound => "Not found.",
        StatusCodes.Status405MethodNotAllowed => "Method not allowed.",
        StatusCodes.Status415UnsupportedMediaType => "Content-Type must be application/json.",
        _ => null,
    };

    private EnvelopeResult Map(HttpContext context, Exception exception)
    {
        if (exception is BadHttpRequestException badRequest)
        {
            return EnvelopeResult.Transport(badRequest.StatusCode, badRequest.StatusCode switch
            {
                StatusCodes.Status413PayloadTooLarge => "Request body too large.",
                // The server's minimum body data rate: a body trickled in to hold the connection.
                StatusCodes.Status408RequestTimeout => "Request body too slow.",
                _ => "Bad request.",
            });
        }
        if (TransientFailures.IsTransient(exception))
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
