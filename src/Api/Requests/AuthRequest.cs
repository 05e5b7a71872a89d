using System.Buffers;
using System.Net;
using System.Reflection;
using System.Text.Json;
using Sessions.Api.Envelope;

namespace Sessions.Api.Requests;

/// <summary>
/// The JSON body of an <c>/auth/v1</c> request, read once and kept as a case-insensitive field map (API.md §1).
/// Binding never fails: a body that cannot be read is kept as <see cref="Problem"/>, which the handler returns.
/// </summary>
public sealed class AuthRequest
{
    public const int MaxBodyBytes = 16 * 1024;
    private const int MaxJsonDepth = 8;

    private readonly Dictionary<string, JsonElement> _fields;

    private AuthRequest(HttpRequest http, Dictionary<string, JsonElement> fields, EnvelopeResult? problem)
    {
        Http = http;
        _fields = fields;
        Problem = problem;
        ClientAddress = http.HttpContext.Connection.RemoteIpAddress;
    }

    /// <summary>The HTTP request, for what is not in the body (the <c>DPoP</c> header and the URL a proof names).</summary>
    public HttpRequest Http { get; }

    /// <summary>Why the body could not be read, or null when it could.</summary>
    public EnvelopeResult? Problem { get; }

    /// <summary>The caller's address (the forwarded one behind a known proxy), for the audit trail.</summary>
    public IPAddress? ClientAddress { get; }

    public static async ValueTask<AuthRequest> BindAsync(HttpContext context, ParameterInfo parameter)
    {
        var request = context.Request;
        AuthRequest Failed(EnvelopeResult problem) => new(request, [], problem);

        if (request.ContentLength > MaxBodyBytes)
        {
            return Failed(EnvelopeResult.Transport(StatusCodes.Status413PayloadTooLarge, "Request body too large."));
        }
        if (!request.HasJsonContentType())
        {
            return Failed(EnvelopeResult.Transport(StatusCodes.Status415UnsupportedMediaType, "Content-Type must be application/json."));
        }

        var body = await ReadBoundedAsync(request.Body, context.RequestAborted);
        if (body is null)
        {
            return Failed(EnvelopeResult.Transport(StatusCodes.Status413PayloadTooLarge, "Request body too large."));
        }
        if (body.Length == 0)
        {
            return Failed(EnvelopeResult.InvalidField("body", "is required"));
        }
        if (!JsonText.IsValidUtf8(body))
        {
            return Failed(EnvelopeResult.InvalidField("body", "is not valid UTF-8"));
        }

        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(body, new JsonDocumentOptions { MaxDepth = MaxJsonDepth });
        }
        catch (JsonException)
        {
            return Failed(EnvelopeResult.InvalidField("body", "is not valid JSON"));
        }

        // The fields point into the document, which lives (pooled) until the response is done.
        context.Response.RegisterForDispose(document);
        if (document.RootElement.ValueKind != JsonValueKind.Object)
        {
            return Failed(EnvelopeResult.InvalidField("body", "must be a JSON object"));
        }

        if (!JsonText.HasOnlyValidStrings(body, document.RootElement))
        {
            return Failed(EnvelopeResult.InvalidField("body", "holds a string that is not valid Unicode (a lone surrogate escape)"));
        }

        var fields = new Dictionary<string, JsonElement>(StringComparer.OrdinalIgnoreCase);
        foreach (var property in document.RootElement.EnumerateObject())
        {
            if (!fields.TryAdd(property.Name, property.Value))
            {
                return Failed(EnvelopeResult.InvalidField(property.Name, "is given more than once"));
            }
        }
        return new AuthRequest(request, fields, null);
    }

    /// <summary>The field's value, or null when it is absent or JSON null.</summary>
    public JsonElement? Field(string name) =>
        _fields.TryGetValue(name, out var value) && value.ValueKind != JsonValueKind.Null ? value : null;

    /// <summary>The whole body, or null when it is larger than <see cref="MaxBodyBytes"/>.</summary>
    public static async Task<byte[]?> ReadBoundedAsync(Stream body, CancellationToken cancellationToken)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(MaxBodyBytes + 1);
        try
        {
            var total = 0;
            int read;
            while ((read = await body.ReadAsync(buffer.AsMemory(total, MaxBodyBytes + 1 - total), cancellationToken)) > 0)
            {
                total += read;
                if (total > MaxBodyBytes)
                {
                    return null;
                }
            }
            return buffer.AsSpan(0, total).ToArray();
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }
}
