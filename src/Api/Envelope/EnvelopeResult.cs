using Sessions.Grains;

namespace Sessions.Api.Envelope;

/// <summary>The one result type of every <c>/auth/v1</c> handler: an envelope with its HTTP status.</summary>
public sealed class EnvelopeResult : IResult, IStatusCodeHttpResult, IValueHttpResult<ApiEnvelope>
{
    private EnvelopeResult(int statusCode, ApiEnvelope body, TimeSpan? retryAfter = null)
    {
        StatusCode = statusCode;
        Value = body;
        RetryAfter = retryAfter;
    }

    public int StatusCode { get; }

    int? IStatusCodeHttpResult.StatusCode => StatusCode;

    public ApiEnvelope Value { get; }

    public TimeSpan? RetryAfter { get; }

    /// <summary>The server nonce for the client's next device proof (<c>DPoP-Nonce</c>, API.md §4.7), when there is one.</summary>
    public string? DeviceNonce { get; private init; }

    /// <summary>This answer with the nonce for the client's next device proof.</summary>
    public EnvelopeResult WithDeviceNonce(string nonce) => new(StatusCode, Value, RetryAfter) { DeviceNonce = nonce };

    public static EnvelopeResult Success(EnvelopeAuth? auth = null, EnvelopeUser? user = null, EnvelopeIdentifiers? identifiers = null) =>
        new(StatusCodes.Status200OK, new ApiEnvelope(new EnvelopeStatus(true, 200, "SUCCESS"), auth, user, identifiers));

    /// <summary>The customer's signed-in devices.</summary>
    public static EnvelopeResult Listed(IReadOnlyList<SignedInDevice> sessions) =>
        new(StatusCodes.Status200OK, new ApiEnvelope(new EnvelopeStatus(true, 200, "SUCCESS"), Sessions: sessions));

    /// <summary>How many live families a sign-out ended.</summary>
    public static EnvelopeResult SignedOut(int revoked) =>
        new(StatusCodes.Status200OK, new ApiEnvelope(new EnvelopeStatus(true, 200, "SUCCESS"), Revoked: revoked));

    public static EnvelopeResult Done(string message) =>
        new(StatusCodes.Status200OK, new ApiEnvelope(new EnvelopeStatus(true, 200, message)));

    public static EnvelopeResult Fail(AuthError code, string? detail = null, TimeSpan? retryAfter = null)
    {
        var message = ErrorCatalog.Message(code);
        if (detail is not null)
        {
            message = $"{message.TrimEnd('.')}: {detail}.";
        }
        return new(ErrorCatalog.HttpStatus(code), new ApiEnvelope(new EnvelopeStatus(false, (int)code, message)), retryAfter);
    }

    /// <summary>An envelope error under another HTTP status than the code's own (a 404 for a resource that names an unknown brand).</summary>
    public static EnvelopeResult Fail(int statusCode, AuthError code) =>
        new(statusCode, new ApiEnvelope(new EnvelopeStatus(false, (int)code, ErrorCatalog.Message(code))));

    /// <summary>1519 naming the field and what is wrong with it.</summary>
    public static EnvelopeResult InvalidField(string field, string reason) => Fail(AuthError.InvalidDetails, $"{field} {reason}");

    /// <summary>A transport-level failure (404, 405, 413, 415, 429) in the envelope, with the HTTP status as its code.</summary>
    public static EnvelopeResult Transport(int statusCode, string message, TimeSpan? retryAfter = null) =>
        new(statusCode, new ApiEnvelope(new EnvelopeStatus(false, statusCode, message)), retryAfter);

    public Task ExecuteAsync(HttpContext httpContext) => EnvelopeWriter.WriteAsync(httpContext, this);
}
