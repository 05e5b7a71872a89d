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

    public static TheoryData<string, string> LoneSurrogates() => new()
    {
        { "token/generate", """{"brand":"DEMO","identifierType":"MOBILE","identifierValue":"\ud800","deviceId":"d"}""" },
        { "token/generate", """{"brand":"\udc00","identifierType":"MOBILE","identifierValue":"18761112222","deviceId":"d"}""" },
        { "token/generate", """{"brand":"DEMO","identifierType":"MOBILE","identifierValue":"18761112222","deviceId":"a\ud800b"}""" },
        { "token/generate", """{"brand":"DEMO","identifierType":"MOBILE","identifierValue":"18761112222","deviceId":"d","\ud800":"name"}""" },
        { "token/generate", """{"brand":"DEMO","identifierType":"MOBILE","identifierValue":"18761112222","deviceId":"d","extra":{"deep":["\ud800"]}}""" },
        { "otp/validate", """{"brand":"DEMO","identifierType":"MOBILE","identifierValue":"18761112222","deviceId":"d","sessionId":"P-\ud800","otp":"123456"}""" },
        { "password/validate", """{"brand":"DEMO","identifierType":"MOBILE","identifierValue":"18761112222","deviceId":"d","sessionId":"P-1","password":"\ud800\ud800"}""" },
        { "mfa/token/regenerate", """{"brand":"DEMO","identifierType":"MOBILE","identifierValue":"18761112222","deviceId":"d","key":"\ud800"}""" },
        { "user/sessions/revoke", """{"brand":"DEMO","identifierType":"MOBILE","identifierValue":"18761112222","deviceId":"d","token":"t","familyId":"\ud800"}""" },
    };

    [Theory]
    [MemberData(nameof(LoneSurrogates))]
    public async Task ALoneSurrogateEscapeInAnyNameOrValueIsInvalidDetailsNotAServerError(string path, string body)
    {
        var response = await PostRawAsync(path, body, "application/json");

        Assert.Equal((HttpStatusCode.BadRequest, 1519), (response.Status, response.Code));
    }

    [Theory]
    [InlineData("value")]
    [InlineData("name")]
    public async Task InvalidUtf8InAValueOrANameIsInvalidDetailsNotAServerError(string where)
    {
        var prefix = Encoding.UTF8.GetBytes("""{"brand":"DEMO","identifierType":"MOBILE","identifierValue":"18761112222","deviceId":""");
        byte[] body = where == "value"
            ? [.. prefix, 0xC3, 0x28, .. "\"}"u8]
            : [.. prefix, .. "d\",\""u8, 0xFF, 0xFE, .. "\":1}"u8];
        using var request = new HttpRequestMessage(HttpMethod.Post, "/auth/v1/token/generate") { Content = new ByteArrayContent(body) };
        request.Content.Headers.TryAddWithoutValidation("Content-Type", "application/json");

        var response = await Client.SendAsync(request);

        Assert.Equal((HttpStatusCode.BadRequest, 1519), (response.Status, response.Code));
    }

    [Theory]
    [InlineData("user\u200B@example.com")]
    [InlineData("user\u202E@example.com")]
    [InlineData("\uFEFFuser@example.com")]
    [InlineData("user\u2028@example.com")]
    [InlineData("us\uE000er@example.com")]
    [InlineData("us er@example.com")]
    public async Task AnEmailWithInvisibleOrLookAlikeCharactersIsRefused(string email)
    {
        var response = await Client.PostAsync("token/generate", new TestDevice(TestBrands.Demo, "EMAIL", email, "phone").Body());

        Assert.Equal((HttpStatusCode.BadRequest, 1519), (response.Status, response.Code));
        Assert.Contains("identifierValue", response.Message);
    }

    [Theory]
    [InlineData("phone\u200B1")]
    [InlineData("phone\u202E1")]
    [InlineData("\uFEFFphone")]
    [InlineData("phone\u20281")]
    [InlineData("phone\u20291")]
    public async Task ADeviceIdWithFormatOrLineSeparatorCharactersIsRefused(string deviceId)
    {
        var response = await Client.PostAsync("token/generate", TestDevice.NewMobile().OnDevice(deviceId).Body());

        Assert.Equal((HttpStatusCode.BadRequest, 1519), (response.Status, response.Code));
        Assert.Contains("deviceId", response.Message);
    }

    [Fact]
    public async Task TheComposedAndDecomposedFormsOfOneEmailAreOneCustomer()
    {
        var local = $"jos\u00e9-{Guid.NewGuid():N}";
        var composed = new TestDevice(TestBrands.Demo, "EMAIL", $"{local}@example.com", "phone-nfc");
        var decomposed = composed with { IdentifierValue = $"{local.Replace("\u00e9", "e\u0301", StringComparison.Ordinal)}@example.com", DeviceId = "phone-nfd" };

        var first = await Client.LoginAsync(composed);
        var second = await Client.LoginAsync(decomposed);

        Assert.Equal(Jwt.Payload(first.Token!).GetProperty("uid").GetString(), Jwt.Payload(second.Token!).GetProperty("uid").GetString());
    }

    public static TheoryData<string, string> OddHeaders() => new()
    {
        { "org", "null" }, { "org", "42" }, { "org", """["DEMO"]""" }, { "kid", "7" }, { "kid", "null" },
        { "idv", "[null]" }, { "idv", "\"MOBILE|1\"" }, { "idv", "[1,2]" }, { "dev", "5" }, { "alg", "null" },
    };

    [Theory]
    [MemberData(nameof(OddHeaders))]
    public async Task ASignedTokenWithOddHeaderValuesIsInvalidNeverAServerError(string claim, string json)
    {
        var device = TestDevice.NewMobile();
        var login = await Client.LoginAsync(device);
        var header = System.Text.Json.Nodes.JsonNode.Parse(Jwt.RawHeader(login.Key!))!;
        header[claim] = System.Text.Json.Nodes.JsonNode.Parse(json);
        var key = Jwt.Sign(header.ToJsonString(), Jwt.RawPayload(login.Key!), TestBrands.SigningSecrets[TestBrands.Demo]);
        var token = Jwt.Sign(header.ToJsonString(), Jwt.RawPayload(login.Token!), TestBrands.SigningSecrets[TestBrands.Demo]);

        var regenerated = await Client.PostAsync("token/regenerate", device.Body(("key", key)));
        var authorized = await Client.PostAsync("mfa/token/generate", device.Body(("authorizedToken", token)));
        var changed = await Client.PostAsync("user/updateIdentifierValue", device.Body(("token", token), ("newIdentifierValue", TestDevice.NewMobile().IdentifierValue)));

        // Refused as invalid, or as naming another identity than the request's: a 401 with a contract code either way.
        Assert.Equal(HttpStatusCode.Unauthorized, regenerated.Status);
        Assert.Contains(regenerated.Code, new[] { 1597, 1507, 1508, 1509 });
        Assert.Contains(authorized.Code, new[] { 1596, 1508, 1509 });
        Assert.Contains(changed.Code, new[] { 1596, 1507, 1508, 1509 });
    }

    [Fact]
    public async Task AnIntrospectionBodyWithALoneSurrogateIsABadRequestNotAServerError()
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/auth/v1/token/introspect")
        {
            Content = new StringContent("""{"token":"\ud800"}""", Encoding.UTF8, "application/json"),
        };
        request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Basic",
            Convert.ToBase64String(Encoding.UTF8.GetBytes($"{TestBrands.Demo}:{TestBrands.IntrospectionSecret}")));

        using var response = await Client.Http.SendAsync(request);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
    }

    private Task<ApiResponse> PostRawAsync(string path, string body, string contentType) =>
        Client.SendAsync(new HttpRequestMessage(HttpMethod.Post, "/auth/v1/" + path)
        {
            Content = new StringContent(body, Encoding.UTF8, contentType),
        });
}
