using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Options;
using Sessions.Grains.Configuration;
using Sessions.Grains.Contracts;

namespace Sessions.Grains.Otp;

/// <summary>
/// Production delivery: POSTs the OTP to <c>Sessions:Otp:Webhook:Url</c>, signed with
/// <c>X-Sessions-Signature: sha256=&lt;hex HMAC of the body&gt;</c> (API.md §7). Non-2xx or timeout is a failed delivery.
/// </summary>
public sealed class WebhookOtpSender(HttpClient http, IOptions<SessionsOptions> options) : IOtpSender
{
    public const string SignatureHeader = "X-Sessions-Signature";

    public async Task SendAsync(OtpMessage message, CancellationToken cancellationToken)
    {
        var webhook = options.Value.Otp.Webhook;
        var body = JsonSerializer.SerializeToUtf8Bytes(new WebhookPayload(
            message.Identifier.Brand, message.Identifier.Type.ToString(), message.Identifier.Value,
            message.DeviceId, message.Purpose.ToString(), message.Code, message.ExpiresAt), WebhookJson.Default.WebhookPayload);
        var signature = Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(webhook.Secret!), body));

        using var request = new HttpRequestMessage(HttpMethod.Post, webhook.Url) { Content = new ByteArrayContent(body) };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        request.Headers.TryAddWithoutValidation(SignatureHeader, $"sha256={signature}");

        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(TimeSpan.FromSeconds(webhook.TimeoutSeconds));
        try
        {
            using var response = await http.SendAsync(request, timeout.Token);
            if (!response.IsSuccessStatusCode)
            {
                throw new OtpDeliveryException($"The OTP webhook answered {(int)response.StatusCode}.");
            }
        }
        catch (Exception e) when (e is HttpRequestException or OperationCanceledException)
        {
            throw new OtpDeliveryException("The OTP webhook could not be reached in time.", e);
        }
    }
}

internal sealed record WebhookPayload(
    string Brand, string IdentifierType, string IdentifierValue, string DeviceId, string Purpose, string Otp, DateTimeOffset ExpiresAt);

[System.Text.Json.Serialization.JsonSourceGenerationOptions(PropertyNamingPolicy = System.Text.Json.Serialization.JsonKnownNamingPolicy.CamelCase)]
[System.Text.Json.Serialization.JsonSerializable(typeof(WebhookPayload))]
internal sealed partial class WebhookJson : System.Text.Json.Serialization.JsonSerializerContext;
