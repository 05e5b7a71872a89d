using System.Net;

namespace Sessions.Client.Http;

/// <summary>
/// Puts the session's token on every request of an app's <see cref="HttpClient"/> to its resource servers (a
/// <c>DPoP</c> proof too when the session is device-bound). On a <c>401</c> it refreshes once — unless another caller
/// already did — and sends the request again; a second refusal is the server's answer.
/// </summary>
/// <remarks>A request whose content cannot be sent twice (a non-seekable stream) is not retried.</remarks>
public sealed class SessionTokenHandler(SessionKeeper session) : DelegatingHandler
{
    private const string DeviceNonceHeader = "DPoP-Nonce";

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var token = await session.AuthorizeAsync(request, cancellationToken: cancellationToken).ConfigureAwait(false);
        var response = await base.SendAsync(request, cancellationToken).ConfigureAwait(false);
        if (response.StatusCode != HttpStatusCode.Unauthorized || !CanSendAgain(request))
        {
            return response;
        }

        // A bound session's resource server may ask for its own nonce (RFC 9449 §9); otherwise the token is refused.
        var resourceNonce = response.Headers.TryGetValues(DeviceNonceHeader, out var nonces) ? nonces.FirstOrDefault() : null;
        response.Dispose();
        if (resourceNonce is null)
        {
            await session.RefreshAsync(token, cancellationToken).ConfigureAwait(false);
        }
        await session.AuthorizeAsync(request, resourceNonce, cancellationToken).ConfigureAwait(false);
        return await base.SendAsync(request, cancellationToken).ConfigureAwait(false);
    }

    private static bool CanSendAgain(HttpRequestMessage request) =>
        request.Content is null or ByteArrayContent or FormUrlEncodedContent or MultipartContent || request.Content.Headers.ContentLength == 0;
}
