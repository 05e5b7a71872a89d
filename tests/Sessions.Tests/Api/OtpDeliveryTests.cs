using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Sessions.Tests.Infrastructure;

namespace Sessions.Tests.Api;

public sealed class OtpDeliveryTests : IAsyncLifetime
{
    private const string WebhookSecret = "webhook-secret-of-at-least-32-characters!";
    private WebhookReceiver _webhook = null!;

    public async Task InitializeAsync() => _webhook = await WebhookReceiver.StartAsync();

    public async Task DisposeAsync() => await _webhook.DisposeAsync();

    [Fact]
    public async Task TheWebhookSenderPostsASignedMessageWithTheCode()
    {
        await using var factory = WebhookFactory("/otp");
        var client = factory.CreateSessionsClient();
        var device = TestDevice.NewMobile();
        var sessionId = await client.StartLoginAsync(device);

        var (body, signature) = Assert.Single(_webhook.Received);
        var message = JsonDocument.Parse(body).RootElement;
        var expected = "sha256=" + Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(WebhookSecret), Encoding.UTF8.GetBytes(body)));
        var validated = await client.PostAsync("otp/validate", device.Body(("sessionId", sessionId), ("otp", message.GetProperty("otp").GetString())));

        Assert.Equal(expected, signature);
        Assert.Equal(TestBrands.Demo, message.GetProperty("brand").GetString());
        Assert.Equal("MOBILE", message.GetProperty("identifierType").GetString());
        Assert.Equal(device.IdentifierValue, message.GetProperty("identifierValue").GetString());
        Assert.Equal(device.DeviceId, message.GetProperty("deviceId").GetString());
        Assert.Equal("LOGIN", message.GetProperty("purpose").GetString());
        Assert.True(validated.Success);
    }

    [Fact]
    public async Task AFailedDeliveryIsUnableToGenerateOtpAndStoresNoCode()
    {
        await using var factory = WebhookFactory("/down");
        var client = factory.CreateSessionsClient();
        var device = TestDevice.NewMobile();
        var opened = await SessionsClient.Ok(client.PostAsync("token/generate", device.Body()));

        var sent = await client.PostAsync("otp/generate", device.Body(("sessionId", opened.SessionId)));
        var validate = await client.PostAsync("otp/validate", device.Body(("sessionId", opened.SessionId), ("otp", "123456")));

        Assert.Equal((HttpStatusCode.BadGateway, 1503), (sent.Status, sent.Code));
        Assert.Equal(1537, validate.Code);
    }

    private ApiFactory WebhookFactory(string path) => new(settings: new()
    {
        ["Sessions:Otp:Sender"] = "Webhook",
        ["Sessions:Otp:Webhook:Url"] = _webhook.Url + path,
        ["Sessions:Otp:Webhook:Secret"] = WebhookSecret,
    });
}
