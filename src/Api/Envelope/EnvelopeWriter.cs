using System.Buffers;
using System.Globalization;
using System.Text.Json;

namespace Sessions.Api.Envelope;

/// <summary>Writes every envelope, success or failure, handler or middleware: status, headers, body.</summary>
public static class EnvelopeWriter
{
    /// <summary>Where the written envelope's code is left for the request metrics.</summary>
    public const string CodeItem = "sessions.envelope-code";

    /// <summary>The response header with the nonce for the next device proof (RFC 9449 §8).</summary>
    public const string DeviceNonceHeader = "DPoP-Nonce";

    // Serialisation is synchronous, so one buffer and writer per thread serve every envelope that thread writes.
    [ThreadStatic]
    private static (ArrayBufferWriter<byte> Buffer, Utf8JsonWriter Writer)? t_json;

    public static Task WriteAsync(HttpContext context, EnvelopeResult result)
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
        if (result.DeviceNonce is { } nonce)
        {
            response.Headers[DeviceNonceHeader] = nonce;
        }

        // Serialised whole, then written once with its length: an envelope is small, and one write with Content-Length
        // costs less than a streamed, chunked one. The write copies it into the response's pipe before it returns.
        var (buffer, writer) = t_json ??= NewJson();
        buffer.ResetWrittenCount();
        writer.Reset(buffer);
        JsonSerializer.Serialize(writer, result.Value, EnvelopeJson.Default.ApiEnvelope);
        response.ContentLength = buffer.WrittenCount;
        response.BodyWriter.Write(buffer.WrittenSpan);
        var flushed = response.BodyWriter.FlushAsync(context.RequestAborted);
        return flushed.IsCompletedSuccessfully ? Task.CompletedTask : flushed.AsTask();
    }

    private static (ArrayBufferWriter<byte>, Utf8JsonWriter) NewJson()
    {
        var buffer = new ArrayBufferWriter<byte>(1024);
        return (buffer, new Utf8JsonWriter(buffer));
    }
}
