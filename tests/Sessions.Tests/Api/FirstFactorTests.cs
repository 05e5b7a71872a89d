using System.Net;
using Sessions.Tests.Infrastructure;

namespace Sessions.Tests.Api;

[Collection(ApiCollection.Name)]
public sealed class FirstFactorTests(ApiFixture fixture)
{
    private SessionsClient Client => fixture.Client;

    [Fact]
    public async Task TokenGenerateOpensALoginSessionWithAViewToken()
    {
        var device = TestDevice.NewMobile();

        var response = await SessionsClient.Ok(Client.PostAsync("token/generate", device.Body()));

        Assert.StartsWith("P-", response.SessionId);
        Assert.True(Guid.TryParse(response.SessionId![2..], out _));
        Assert.Equal("VIEW", response.Role);
        Assert.Null(response.Key);
        Assert.False(response.User.GetProperty("appRegistered").GetBoolean());
        Assert.False(response.User.GetProperty("userRegisteredForPassword").GetBoolean());
        var header = Jwt.Header(response.Token!);
        Assert.Equal("HS256", header.GetProperty("alg").GetString());
        Assert.Equal("demo-1", header.GetProperty("kid").GetString());
        Assert.Equal("DEMO", header.GetProperty("org").GetString());
        Assert.Equal(device.DeviceId, header.GetProperty("dev").GetString());
        Assert.Equal($"MOBILE|{device.IdentifierValue}", header.GetProperty("idv")[0].GetString());
        var payload = Jwt.Payload(response.Token!);
        Assert.Equal("VIEW", payload.GetProperty("rol").GetString());
        Assert.Equal("SESSIONS", payload.GetProperty("iss").GetString());
        Assert.Equal("100458|demo.solution", payload.GetProperty("ogc")[0].GetString());
        Assert.Equal(15 * 60, payload.GetProperty("exp").GetInt64() - payload.GetProperty("iat").GetInt64());
        Assert.False(payload.TryGetProperty("uid", out _));
    }

    [Fact]
    public async Task BrandIsMatchedCaseInsensitivelyAndTokensCarryItUpperCase()
    {
        var device = TestDevice.NewMobile() with { Brand = "dEmO" };

        var login = await Client.LoginAsync(device);

        Assert.Equal("DEMO", Jwt.Header(login.Token!).GetProperty("org").GetString());
    }

    [Fact]
    public async Task IdentifiersThatNormaliseAlikeAddressTheSameDeviceSession()
    {
        var device = TestDevice.NewMobile();
        var spelledDifferently = device with { IdentifierValue = $"+{device.IdentifierValue[0]} ({device.IdentifierValue[1..4]}) {device.IdentifierValue[4..7]}-{device.IdentifierValue[7..]}" };
        var opened = await SessionsClient.Ok(Client.PostAsync("token/generate", spelledDifferently.Body()));
        await SessionsClient.Ok(Client.PostAsync("otp/generate", device.Body(("sessionId", opened.SessionId))));

        var validated = await Client.PostAsync("otp/validate", device.Body(("sessionId", opened.SessionId), ("otp", await Client.LatestOtpAsync(device))));

        Assert.Equal(HttpStatusCode.OK, validated.Status);
    }

    [Theory]
    [InlineData("brand", "NOPE", 1504, HttpStatusCode.BadRequest)]
    [InlineData("identifierType", "mobile", 1546, HttpStatusCode.BadRequest)]
    [InlineData("identifierType", "PHONE", 1546, HttpStatusCode.BadRequest)]
    [InlineData("identifierValue", "12ab", 1519, HttpStatusCode.BadRequest)]
    [InlineData("identifierValue", "123", 1519, HttpStatusCode.BadRequest)]
    [InlineData("deviceId", "", 1519, HttpStatusCode.BadRequest)]
    public async Task InvalidIdentityIsRefusedWithTheContractCode(string field, string value, int code, HttpStatusCode status)
    {
        var body = TestDevice.NewMobile().Body();
        body[field] = value;

        var response = await Client.PostAsync("token/generate", body);

        Assert.Equal(status, response.Status);
        Assert.False(response.Success);
        Assert.Equal(code, response.Code);
        if (code == 1519)
        {
            Assert.Contains(field, response.Message);
        }
    }

    [Fact]
    public async Task MissingBrandIsInvalidDetailsNamingBrand()
    {
        var body = TestDevice.NewMobile().Body();
        body.Remove("brand");

        var response = await Client.PostAsync("token/generate", body);

        Assert.Equal(1519, response.Code);
        Assert.Contains("brand", response.Message);
    }

    [Fact]
    public async Task ExternalIdNeedsTheBrandSetting()
    {
        var refused = await Client.PostAsync("token/generate", new TestDevice(TestBrands.Demo, "EXTERNALID", "ext-1", "d1").Body());
        var allowed = await Client.PostAsync("token/generate", new TestDevice(TestBrands.Plain, "EXTERNALID", "ext-1", "d1").Body());

        Assert.Equal(3005, refused.Code);
        Assert.Equal(HttpStatusCode.BadRequest, refused.Status);
        Assert.True(allowed.Success);
    }

    [Fact]
    public async Task OtpValidateIssuesAUserTokenAndAPrimaryKey()
    {
        var device = TestDevice.NewMobile();

        var login = await Client.LoginAsync(device);

        Assert.Equal("USER", login.Role);
        Assert.Null(login.SessionId);
        var token = Jwt.Payload(login.Token!);
        var key = Jwt.Payload(login.Key!);
        Assert.Equal("USER", token.GetProperty("rol").GetString());
        Assert.Equal("false", token.GetProperty("isc").GetString());
        Assert.False(string.IsNullOrEmpty(token.GetProperty("uid").GetString()));
        Assert.Equal(token.GetProperty("uid").GetString(), key.GetProperty("uid").GetString());
        Assert.Equal(token.GetProperty("sid").GetString(), key.GetProperty("sid").GetString());
        Assert.Equal("AUTH", key.GetProperty("rol").GetString());
        Assert.False(key.GetProperty("mfa").GetBoolean());
        Assert.False(key.TryGetProperty("exp", out _));
        Assert.NotEqual(token.GetProperty("jti").GetString(), key.GetProperty("jti").GetString());
    }

    [Fact]
    public async Task ACustomerKeepsItsIdAcrossLoginsAndDevices()
    {
        var device = TestDevice.NewMobile();
        var first = await Client.LoginAsync(device);

        var second = await Client.LoginAsync(device.OnDevice(TestDevice.NewDeviceId()));
        var reopened = await Client.PostAsync("token/generate", device.Body());

        Assert.Equal(Jwt.Payload(first.Token!).GetProperty("uid").GetString(), Jwt.Payload(second.Token!).GetProperty("uid").GetString());
        Assert.True(reopened.User.GetProperty("appRegistered").GetBoolean());
    }

    [Fact]
    public async Task ATestIdentifierUsesItsFixedCodeAndANumericOtpIsLeftPadded()
    {
        var device = new TestDevice(TestBrands.Demo, "MOBILE", TestBrands.TestMobile, TestDevice.NewDeviceId());
        var sessionId = await Client.StartLoginAsync(device);

        var validated = await Client.PostAsync("otp/validate", device.Body(("sessionId", sessionId), ("otp", int.Parse(TestBrands.TestOtp, System.Globalization.CultureInfo.InvariantCulture))));

        Assert.True(validated.Success, validated.Body.ToString());
    }

    [Fact]
    public async Task AWrongOtpIsRefusedAndTheSessionDiesAfterMaxAttempts()
    {
        var device = TestDevice.NewMobile(TestBrands.Strict);
        var sessionId = await Client.StartLoginAsync(device, ("password", "Secret123"), ("confirmPassword", "Secret123"));
        var right = await Client.LatestOtpAsync(device);

        var guesses = await Client.GuessWrongAsync(device, sessionId, right, 3);
        var resend = await Client.PostAsync("otp/generate", device.Body(("sessionId", sessionId)));
        var withRightCode = await Client.PostAsync("otp/validate", device.Body(("sessionId", sessionId), ("otp", right)));

        Assert.Equal((HttpStatusCode.Unauthorized, 1506), (guesses[0].Status, guesses[0].Code));
        Assert.Equal(1518, guesses[2].Code);
        Assert.Equal(1518, withRightCode.Code);
        Assert.Equal(1518, resend.Code);
    }

    [Fact]
    public async Task ANewCodeReplacesTheOldOneButKeepsTheAttemptCount()
    {
        var device = TestDevice.NewMobile(TestBrands.Strict);
        var sessionId = await Client.StartLoginAsync(device, ("password", "Secret123"), ("confirmPassword", "Secret123"));
        var old = await Client.LatestOtpAsync(device);
        await Client.GuessWrongAsync(device, sessionId, old, 2);

        await SessionsClient.Ok(Client.PostAsync("otp/generate", device.Body(("sessionId", sessionId))));
        var fresh = await Client.LatestOtpAsync(device);
        var third = await Client.PostAsync("otp/validate", device.Body(("sessionId", sessionId), ("otp", fresh == old ? SessionsClient.WrongOtp(old) : old)));

        Assert.Equal(1518, third.Code);
    }

    [Fact]
    public async Task OtpValidateBeforeAnyOtpWasSentIsOtpNotGenerated()
    {
        var device = TestDevice.NewMobile();
        var opened = await SessionsClient.Ok(Client.PostAsync("token/generate", device.Body()));

        var response = await Client.PostAsync("otp/validate", device.Body(("sessionId", opened.SessionId), ("otp", "123456")));

        Assert.Equal((HttpStatusCode.Unauthorized, 1537), (response.Status, response.Code));
    }

    [Fact]
    public async Task UnknownConsumedOrReplacedSessionsAreInvalid()
    {
        var device = TestDevice.NewMobile();
        var unknown = await Client.PostAsync("otp/generate", device.Body(("sessionId", "P-" + Guid.NewGuid())));
        var consumedId = await Client.StartLoginAsync(device);
        await SessionsClient.Ok(Client.PostAsync("otp/validate", device.Body(("sessionId", consumedId), ("otp", await Client.LatestOtpAsync(device)))));
        var consumed = await Client.PostAsync("otp/generate", device.Body(("sessionId", consumedId)));
        var replacedId = (await Client.PostAsync("token/generate", device.Body())).SessionId;
        await Client.PostAsync("token/generate", device.Body());
        var replaced = await Client.PostAsync("otp/generate", device.Body(("sessionId", replacedId)));
        var otherDevice = await Client.PostAsync("otp/generate", device.OnDevice("elsewhere").Body(("sessionId", replacedId)));

        Assert.All([unknown, consumed, replaced, otherDevice], r => Assert.Equal((HttpStatusCode.Unauthorized, 1505), (r.Status, r.Code)));
    }

    [Fact]
    public async Task AnOtpExpiresAfterItsTtlAndASessionAfterItsLifetime()
    {
        await using var factory = new ApiFactory();
        var client = factory.CreateSessionsClient();
        var device = TestDevice.NewMobile();
        var sessionId = await client.StartLoginAsync(device);
        var otp = await client.LatestOtpAsync(device);

        factory.Clock.Advance(TimeSpan.FromMinutes(11));
        var afterTtl = await client.PostAsync("otp/validate", device.Body(("sessionId", sessionId), ("otp", otp)));
        factory.Clock.Advance(TimeSpan.FromMinutes(5));
        var afterSession = await client.PostAsync("otp/generate", device.Body(("sessionId", sessionId)));

        Assert.Equal(1506, afterTtl.Code);
        Assert.Equal(1505, afterSession.Code);
    }

    [Fact]
    public async Task AFirstTimePasswordSetAtTokenGenerateTakesEffectWhenTheOtpIsValidated()
    {
        var device = TestDevice.NewMobile();
        var opened = await SessionsClient.Ok(Client.PostAsync("token/generate", device.Body(("password", "correct horse"), ("confirmPassword", "correct horse"))));
        await SessionsClient.Ok(Client.PostAsync("otp/generate", device.Body(("sessionId", opened.SessionId))));
        await SessionsClient.Ok(Client.PostAsync("otp/validate", device.Body(("sessionId", opened.SessionId), ("otp", await Client.LatestOtpAsync(device)))));

        var reopened = await SessionsClient.Ok(Client.PostAsync("token/generate", device.OnDevice("second-phone").Body()));
        var wrong = await Client.PostAsync("password/validate", device.OnDevice("second-phone").Body(("sessionId", reopened.SessionId), ("password", "wrong horse")));
        var right = await Client.PostAsync("password/validate", device.OnDevice("second-phone").Body(("sessionId", reopened.SessionId), ("password", "correct horse")));

        Assert.True(reopened.User.GetProperty("userRegisteredForPassword").GetBoolean());
        Assert.Equal((HttpStatusCode.Unauthorized, 1528), (wrong.Status, wrong.Code));
        Assert.True(right.Success);
        Assert.NotNull(right.Key);
        Assert.Equal(System.Text.Json.JsonValueKind.Null, right.Body.GetProperty("identifiers").GetProperty("identifierList").ValueKind);
    }

    [Fact]
    public async Task PasswordValidateForACustomerWithoutPasswordIsInvalidPassword()
    {
        var device = TestDevice.NewMobile();
        var opened = await SessionsClient.Ok(Client.PostAsync("token/generate", device.Body()));

        var response = await Client.PostAsync("password/validate", device.Body(("sessionId", opened.SessionId), ("password", "anything at all")));

        Assert.Equal(1528, response.Code);
    }

    [Fact]
    public async Task PasswordAttemptsAreLimitedPerSession()
    {
        var device = TestDevice.NewMobile(TestBrands.Strict);
        var opened = await SessionsClient.Ok(Client.PostAsync("token/generate", device.Body(("password", "Secret123"), ("confirmPassword", "Secret123"))));

        var first = await Client.PostAsync("password/validate", device.Body(("sessionId", opened.SessionId), ("password", "nope-nope")));
        var second = await Client.PostAsync("password/validate", device.Body(("sessionId", opened.SessionId), ("password", "nope-nope")));
        var third = await Client.PostAsync("password/validate", device.Body(("sessionId", opened.SessionId), ("password", "nope-nope")));

        Assert.Equal(1528, first.Code);
        Assert.Equal((HttpStatusCode.Locked, 1530), (second.Status, second.Code));
        Assert.Equal(1530, third.Code);
    }

    [Theory]
    [InlineData(TestBrands.Demo, "correct horse", "other horse", 1521)]
    [InlineData(TestBrands.Demo, "short", "short", 1542)]
    [InlineData(TestBrands.Plain, "correct horse", "correct horse", 1524)]
    public async Task ABadNewPasswordIsRefused(string brand, string password, string confirmation, int code)
    {
        var response = await Client.PostAsync("token/generate", TestDevice.NewMobile(brand).Body(("password", password), ("confirmPassword", confirmation)));

        Assert.Equal(HttpStatusCode.BadRequest, response.Status);
        Assert.Equal(code, response.Code);
    }

    [Fact]
    public async Task ABrandThatRequiresAPasswordOnSignUpRefusesAFirstTimeCustomerWithoutOne()
    {
        var response = await Client.PostAsync("token/generate", TestDevice.NewMobile(TestBrands.Strict).Body());

        Assert.Equal((HttpStatusCode.BadRequest, 1520), (response.Status, response.Code));
    }

    [Fact]
    public async Task ForcedMfaMakesTheFirstFactorMfaPendingAndRegenerateKeepsTheRole()
    {
        var device = TestDevice.NewMobile(TestBrands.Strict);
        var login = await Client.LoginAsync(device, ("password", "Secret123"), ("confirmPassword", "Secret123"));

        var regenerated = await SessionsClient.Ok(Client.PostAsync("token/regenerate", device.Body(("key", login.Key))));

        Assert.Equal("MFA_PENDING", login.Role);
        Assert.Equal("MFA_PENDING", Jwt.Payload(login.Token!).GetProperty("rol").GetString());
        Assert.Equal("MFA_PENDING", Jwt.Payload(regenerated.Token!).GetProperty("rol").GetString());
    }
}
