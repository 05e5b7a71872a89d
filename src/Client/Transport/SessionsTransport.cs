using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;

namespace Sessions.Client.Transport;

/// <summary>One <c>/auth/v1</c> call's answer: the envelope, and what its headers tell the keeper.</summary>
internal sealed record ApiAnswer(HttpStatusCode Status, Envelope Envelope, DateTimeOffset? ServerDate, string? DeviceNonce, TimeSpan? RetryAfter)
{
    public const int ServiceUnavailable = 1599;

    public bool Succeeded => Envelope.Status.Success;

    public int Code => Envelope.Status.Code;

    /// <summary>
    /// A refusal that says the service did nothing with the call: 1599, 429, or 408 (it stopped reading a body that
    /// came too slowly, as on a stalling mobile network).
    /// </summary>
    public bool NothingDone => Code == ServiceUnavailable || Status is HttpStatusCode.TooManyRequests or HttpStatusCode.RequestTimeout;

    /// <summary>A refusal the same call may outlive: one that did nothing, or any 5xx.</summary>
    public bool IsTransient => NothingDone || (int)Status >= 500;

    /// <summary>This answer, or the refusal it is as an exception.</summary>
    public ApiAnswer EnsureSuccess() =>
        Succeeded ? this
        : Code == ServiceUnavailable || (int)Status >= 500 ? throw new SessionsUnavailableException($"{Envelope.Status.Message} ({Code})")
        : Code == RecentLoginRequiredException.ErrorCode ? throw new RecentLoginRequiredException(Envelope.Status.Message, Status)
        : throw new SessionsApiException(Code, Envelope.Status.Message, Status, RetryAfter);
}

/// <summary>
/// Posts to <c>/auth/v1</c> with the request's identity fields, reads the envelope, and turns a transport failure into
/// <see cref="SessionsUnavailableException"/> that says whether the request can have reached the service.
/// </summary>
internal sealed class SessionsTransport(Func<HttpClient> httpClient, SessionsClientOptions options)
{
    public const string DeviceProofHeader = "DPoP";
    public const string DeviceNonceHeader = "DPoP-Nonce";

    public SessionsClientOptions Options => options;

    public async Task<ApiAnswer> PostAsync(string path, DeviceIdentity who, Action<Utf8JsonWriter> fields, string? deviceProof, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, options.Endpoint(path)) { Content = Body(who, fields) };
        if (deviceProof is not null)
        {
            request.Headers.TryAddWithoutValidation(DeviceProofHeader, deviceProof);
        }

        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(options.RequestTimeout);
        HttpResponseMessage response;
        try
        {
            response = await httpClient().SendAsync(request, timeout.Token).ConfigureAwait(false);
        }
        catch (HttpRequestException e)
        {
            throw new SessionsUnavailableException($"The service could not be reached: {e.Message}", e)
            {
                // Name resolution, connect and TLS failures happen before a byte of the request is sent.
                CertainlyNotSent = e.HttpRequestError is HttpRequestError.NameResolutionError or HttpRequestError.ConnectionError or HttpRequestError.SecureConnectionError,
            };
        }
        catch (OperationCanceledException e) when (!cancellationToken.IsCancellationRequested)
        {
            throw new SessionsUnavailableException($"The service did not answer within {options.RequestTimeout.TotalSeconds:0} s.", e);
        }

        using (response)
        {
            Envelope? envelope = null;
            try
            {
                var stream = await response.Content.ReadAsStreamAsync(timeout.Token).ConfigureAwait(false);
                envelope = await JsonSerializer.DeserializeAsync(stream, ClientJson.Default.Envelope, timeout.Token).ConfigureAwait(false);
            }
            catch (Exception e) when (e is JsonException or IOException or HttpRequestException || e is OperationCanceledException && !cancellationToken.IsCancellationRequested)
            {
                throw new SessionsUnavailableException($"The answer was lost or unreadable (HTTP {(int)response.StatusCode}).", e);
            }
            if (envelope?.Status is null)
            {
                throw new SessionsUnavailableException($"The answer was not an envelope (HTTP {(int)response.StatusCode}).");
            }
            return new ApiAnswer(response.StatusCode, envelope, response.Headers.Date,
                response.Headers.TryGetValues(DeviceNonceHeader, out var nonces) ? nonces.FirstOrDefault() : null, RetryAfter(response.Headers));
        }
    }

    private ByteArrayContent Body(DeviceIdentity who, Action<Utf8JsonWriter> fields)
    {
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteString("brand", options.Brand);
            json.WriteString("identifierType", who.WireType);
            json.WriteString("identifierValue", who.IdentifierValue);
            if (who.DeviceId is not null)
            {
                json.WriteString("deviceId", who.DeviceId);
            }
            fields(json);
            json.WriteEndObject();
        }
        var content = new ByteArrayContent(buffer.ToArray());
        content.Headers.ContentType = new MediaTypeHeaderValue("application/json") { CharSet = "utf-8" };
        return content;
    }

    private static TimeSpan? RetryAfter(HttpResponseHeaders headers) =>
        headers.RetryAfter?.Delta ?? (headers.RetryAfter?.Date is { } date ? date - DateTimeOffset.UtcNow : null);
}
