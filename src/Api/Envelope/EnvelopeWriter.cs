using System.Globalization;
using System.Text.Json;

namespace Sessions.Api.Envelope;

/// <summary>Writes every envelope, success or failure, handler or middleware: status, headers, body.</summary>
public static class EnvelopeWriter
{
    /// <summary>Where the written envelope's code is left for the request metrics.</summary>
    public const string CodeItem = "sessions.envelope-code";

    public static async Task WriteAsync(HttpContext context, EnvelopeResult result)
    {
        context.Items[CodeItem] = result.Value.Status.Code;
        var response = context.Response;
        response.StatusCode = result.StatusCode;
        response.ContentType = "application/json; charset=utf-8";
        // Tokens and keys must never sit in a shared cache.
        response.Headers.CacheControl = "no-store";
        if (result.RetryAfter is { } retryAfter)
        {
            response.Headers.RetryAfter = Math.Max(1, (int)Math.Ceiling(retryAfter.TotalSeconds)).ToString(CultureInfo.InvariantCulture);
        }
        // Serialised whole, then written once with its length: an envelope is small, and one write with
        // Content-Length costs less than a streamed, chunked one.
        var body = JsonSerializer.SerializeToUtf8Bytes(result.Value, EnvelopeJson.Default.ApiEnvelope);
        response.ContentLength = body.Length;
        await response.Body.WriteAsync(body, context.RequestAborted);
    }
}
