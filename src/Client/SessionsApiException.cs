using System.Net;

namespace Sessions.Client;

/// <summary>
/// The service refused a call: <see cref="Code"/> is the envelope's code (API.md §6, e.g. 1506 for a wrong OTP,
/// 1534 for too many OTPs), <see cref="Exception.Message"/> its message.
/// </summary>
public class SessionsApiException : Exception
{
    public SessionsApiException(int code, string message, HttpStatusCode status, TimeSpan? retryAfter = null) : base(message)
    {
        Code = code;
        Status = status;
        RetryAfter = retryAfter;
    }

    /// <summary>The envelope's code, or the HTTP status for a refusal outside the envelope (413, 415, 429).</summary>
    public int Code { get; }

    public HttpStatusCode Status { get; }

    /// <summary>When the service says to try again (<c>Retry-After</c>), if it did.</summary>
    public TimeSpan? RetryAfter { get; }
}

/// <summary>
/// Signing another session out, or starting an identifier change where the brand asks for it, needs a recent login
/// (code 1564): the app logs the customer in again (the session it gets replaces this one) and repeats the call. A key
/// copied off the device never passes this check: a regenerate is not a login.
/// </summary>
public sealed class RecentLoginRequiredException(string message, HttpStatusCode status) : SessionsApiException(ErrorCode, message, status)
{
    public const int ErrorCode = 1564;
}

/// <summary>
/// The service could not be reached or answered 5xx / 1599; nothing was lost, and the same call may be made again later.
/// </summary>
public sealed class SessionsUnavailableException(string message, Exception? inner = null) : Exception(message, inner)
{
    /// <summary>The request failed before it was sent (no name, no connection): the service cannot have acted on it.</summary>
    internal bool CertainlyNotSent { get; init; }
}

/// <summary>The session ended (<see cref="Reason"/>): the app shows its login screen.</summary>
public sealed class SessionEndedException(SessionEndedReason reason)
    : Exception($"The session ended: {reason}. Log in again.")
{
    public SessionEndedReason Reason { get; } = reason;
}
