using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using Sessions.Grains.Configuration;

namespace Sessions.Grains;

/// <summary>
/// A POST to one of the service's webhooks (the OTP sender, the security events): the JSON body signed with the
/// webhook's secret as <c>X-Sessions-Signature: sha256=&lt;hex HMAC-SHA256 of the body&gt;</c> (API.md §7), given up after
/// the webhook's timeout. An unreachable or timed-out webhook throws <see cref="HttpRequestException"/> or
/// <see cref="OperationCanceledException"/>; what it answered is the caller's to judge.
/// </summary>
public static class SignedWebhook
{
    public const string SignatureHeader = "X-Sessions-Signature";

    public static async Task<HttpStatusCode> PostAsync(HttpClient http, WebhookOptions webhook, byte[] body, CancellationToken cancellationToken)
    {
        var signature = Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(webhook.Secret!), body));
        using var request = new HttpRequestMessage(HttpMethod.Post, webhook.Url) { Content = new ByteArrayContent(body) };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        request.Headers.TryAddWithoutValidation(SignatureHeader, $"sha256={signature}");

        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(TimeSpan.FromSeconds(webhook.TimeoutSeconds));
        using var response = await http.SendAsync(request, timeout.Token);
        return response.StatusCode;
    }
}
