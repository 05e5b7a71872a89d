using System.Net;
using System.Text;
using Sessions.Tests.Infrastructure;

namespace Sessions.Tests.Api;

[Collection(ApiCollection.Name)]
public sealed class HostileInputTests(ApiFixture fixture)
{
    private SessionsClient Client => fixture.Client;

    public static TheoryData<string, string> BadBodies() => new()
    {
        { "{", "body" },
        { "[1,2]", "body" },
        { "\"text\"", "body" },
        { "", "body" },
        { """{"brand":5,"identifierType":"MOBILE","identifierValue":"18767431754","deviceId":"d"}""", "brand" },
        { """{"brand":"DEMO","identifierType":["MOBILE"],"identifierValue":"18767431754","deviceId":"d"}""", "identifierType" },
        { """{"brand":"DEMO","identifierType":"MOBILE","identifierValue":"18767431754","deviceId":"a\u0007b"}""", "deviceId" },
        { """{"brand":"DEMO","identifierType":"MOBILE","identifierValue":"18767431754","deviceId":1.5}""", "deviceId" },
        { """{"brand":"DEMO","Brand":"DEMO","identifierType":"MOBILE","identifierValue":"18767431754","deviceId":"d"}""", "Brand" },
        { """{"brand":"DEMO","identifierType":"MOBILE","identifierValue":"18767431754","deviceId":"d","x":[[[[[[[[[[1]]]]]]]]]]}""", "body" },
        { """{"brand":"DEMO","identifierType":"EMAIL","identifierValue":"no-at-sign","deviceId":"d"}""", "identifierValue" },
    };

    [Theory]
    [MemberData(nameof(BadBodies))]
    public async Task MalformedBodiesAreInvalidDetailsNamingTheField(string body, string field)
    {
        var response = await PostRawAsync("token/generate", body, "application/json");

        Assert.Equal(HttpStatusCode.BadRequest, response.Status);
        Assert.Equal(1519, response.Code);
        Assert.Contains(field, response.Message);
    }

    [Fact]
    public async Task UnknownFieldsAreIgnoredAndFieldNamesAreCaseInsensitive()
    {
        var response = await PostRawAsync("token/generate",
            """{"BRAND":"DEMO","IdentifierType":"MOBILE","identifiervalue":"18761112222","deviceID":12345,"extra":{"a":1}}""", "application/json");

        Assert.Equal(HttpStatusCode.OK, response.Status);
        Assert.Equal("12345", Jwt.Header(response.Token!).GetProperty("dev").GetString());
    }

    [Fact]
    public async Task ANonJsonContentTypeIs415()
    {
        var response = await PostRawAsync("token/generate", "brand=DEMO", "application/x-www-form-urlencoded");

        Assert.Equal(HttpStatusCode.UnsupportedMediaType, response.Status);
        Assert.False(response.Success);
    }

    [Fact]
    public async Task ABodyOver16KiBIs413()
    {
        var body = TestDevice.NewMobile().Body(("padding", new string('x', 17 * 1024)));

        var response = await Client.PostAsync("token/generate", body);

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.Status);
        Assert.False(response.Success);
    }

    [Fact]
    public async Task UnknownPathsAndWrongMethodsAnswerInTheEnvelope()
    {
        var unknown = await Client.PostAsync("no/such/endpoint", TestDevice.NewMobile().Body());
        var wrongMethod = await Client.SendAsync(new HttpRequestMessage(HttpMethod.Get, "/auth/v1/token/generate"));

        Assert.Equal((HttpStatusCode.NotFound, false), (unknown.Status, unknown.Success));
        Assert.Equal((HttpStatusCode.MethodNotAllowed, false), (wrongMethod.Status, wrongMethod.Success));
    }

    [Fact]
    public async Task AnOtpThatIsNotDigitsIsInvalidDetails()
    {
        var device = TestDevice.NewMobile();
        var sessionId = await Client.StartLoginAsync(device);

        var letters = await Client.PostAsync("otp/validate", device.Body(("sessionId", sessionId), ("otp", "12a456")));
        var tooLong = await Client.PostAsync("otp/validate", device.Body(("sessionId", sessionId), ("otp", "1234567")));
        var wrongType = await Client.PostAsync("otp/validate", device.Body(("sessionId", sessionId), ("otp", true)));

        Assert.All([letters, tooLong, wrongType], r => Assert.Equal((HttpStatusCode.BadRequest, 1519), (r.Status, r.Code)));
    }

    [Fact]
    public async Task ResponsesAreNeverCached()
    {
        var response = await Client.PostAsync("token/generate", TestDevice.NewMobile().Body());

        Assert.Contains("no-store", response.Raw.Headers.CacheControl!.ToString());
    }

    private Task<ApiResponse> PostRawAsync(string path, string body, string contentType) =>
        Client.SendAsync(new HttpRequestMessage(HttpMethod.Post, "/auth/v1/" + path)
        {
            Content = new StringContent(body, Encoding.UTF8, contentType),
        });
}
