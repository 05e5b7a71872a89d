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
    public async Task SendAsync(OtpMessage message, CancellationToken cancellationToken)
    {
        var body = JsonSerializer.SerializeToUtf8Bytes(new WebhookPayload(
            message.Identifier.Brand, message.Identifier.Type.ToString(), message.Identifier.Value,
            message.DeviceId, message.Purpose.ToString(), message.Code, message.ExpiresAt), WebhookJson.Default.WebhookPayload);
        try
        {
            var status = await SignedWebhook.PostAsync(http, options.Value.Otp.Webhook, body, cancellationToken);
            if ((int)status is < 200 or > 299)
            {
                throw new OtpDeliveryException($"The OTP webhook answered {(int)status}.");
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
