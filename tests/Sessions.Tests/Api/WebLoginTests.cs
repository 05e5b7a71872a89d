using System.Net;
using Sessions.Tests.Infrastructure;

namespace Sessions.Tests.Api;

/// <summary>
/// The browser flow (API.md §4.4): no device, no key, the last USER token regenerates the family, expired or not,
/// with the same rotation, grace and reuse rules as keys, bounded by the brand's Web limits.
/// </summary>
[Collection(ApiCollection.Name)]
public sealed class WebLoginTests(ApiFixture fixture)
{
    private const string Password = "first secret 1";
    private SessionsClient Client => fixture.Client;

    [Fact]
    public async Task ABrowserLogsInWithoutADeviceAndGetsAWebTokenWithNoDeviceAndNoKey()
    {
        var browser = TestDevice.NewBrowser();

        var login = await Client.WebLoginAsync(browser);

        Assert.Null(login.Key);
        Assert.Equal("USER", login.Role);
        Assert.Equal(System.Text.Json.JsonValueKind.Null, Jwt.Header(login.Token!).GetProperty("dev").ValueKind);
        Assert.Equal("WEB", Jwt.Payload(login.Token!).GetProperty("chn").GetString());
        Assert.Equal($"MOBILE|{browser.IdentifierValue}", Jwt.Header(login.Token!).GetProperty("idv")[0].GetString());
    }

    [Fact]
    public async Task AnEs256BrandsWebRetryIsByteIdenticalAndVerifiesByItsJwks()
    {
        var browser = TestDevice.NewBrowser(TestBrands.Signed);
        var login = await Client.WebLoginAsync(browser);

        var next = await SessionsClient.Ok(Client.PostAsync("web/token/regenerate", browser.Body(("expiredToken", login.Token))));
        var retry = await SessionsClient.Ok(Client.PostAsync("web/token/regenerate", browser.Body(("expiredToken", login.Token))));
        var jwks = new Microsoft.IdentityModel.Tokens.JsonWebKeySet(await Client.Http.GetStringAsync("/auth/v1/brands/SIGNED/jwks.json"));
        var verified = await Jwt.ValidateWithJwksAsync(next.Token!, jwks);

        Assert.Equal("ES256", Jwt.Header(next.Token!).GetProperty("alg").GetString());
        Assert.Equal(next.Token, retry.Token);
        Assert.True(verified.IsValid, verified.Exception?.Message);
    }

    [Fact]
    public async Task AnExpiredWebTokenRegeneratesAndEachRegenerateRotatesTheFamily()
    {
        var browser = TestDevice.NewBrowser();
        var login = await Client.WebLoginAsync(browser);

        fixture.Factory.Clock.Advance(TimeSpan.FromMinutes(20));
        var next = await Client.PostAsync("web/token/regenerate", browser.Body(("expiredToken", login.Token)));
        var retry = await Client.PostAsync("web/token/regenerate", browser.Body(("expiredToken", login.Token)));
        var after = await Client.PostAsync("web/token/regenerate", browser.Body(("expiredToken", next.Token)));

        Assert.True(next.Success, next.Body.ToString());
        Assert.Null(next.Key);
        Assert.NotEqual(login.Token, next.Token);
        Assert.Equal(Jwt.Payload(login.Token!).GetProperty("sid").GetString(), Jwt.Payload(next.Token!).GetProperty("sid").GetString());
        Assert.Equal(next.Token, retry.Token);
        Assert.True(after.Success, after.Body.ToString());
        Assert.NotEqual(next.Token, after.Token);
    }

    [Fact]
    public async Task AReplayedWebTokenAfterTheGraceRevokesTheFamily()
    {
        var browser = TestDevice.NewBrowser();
        var login = await Client.WebLoginAsync(browser);
        var next = await SessionsClient.Ok(Client.PostAsync("web/token/regenerate", browser.Body(("expiredToken", login.Token))));

        fixture.Factory.Clock.Advance(TimeSpan.FromSeconds(31));
        var replay = await Client.PostAsync("web/token/regenerate", browser.Body(("expiredToken", login.Token)));
        var newest = await Client.PostAsync("web/token/regenerate", browser.Body(("expiredToken", next.Token)));

        Assert.Equal((HttpStatusCode.Unauthorized, 1525), (replay.Status, replay.Code));
        Assert.Equal(1525, newest.Code);
    }

    [Fact]
    public async Task AWebFamilyIdleForLongerThanIdleMinutesAfterItsTokenExpiredIsRefused()
    {
        var browser = TestDevice.NewBrowser();
        var login = await Client.WebLoginAsync(browser);

        fixture.Factory.Clock.Advance(TimeSpan.FromMinutes(15 + 60 + 1));
        var late = await Client.PostAsync("web/token/regenerate", browser.Body(("expiredToken", login.Token)));

        Assert.Equal((HttpStatusCode.Unauthorized, 1597), (late.Status, late.Code));
    }

    [Fact]
    public async Task AWebFamilyDiesMaxHoursAfterItsLoginHoweverOftenItRegenerates()
    {
        var browser = TestDevice.NewBrowser();
        var token = (await Client.WebLoginAsync(browser)).Token;
        var elapsed = TimeSpan.Zero;
        while (elapsed < TimeSpan.FromHours(24) - TimeSpan.FromMinutes(30))
        {
            fixture.Factory.Clock.Advance(TimeSpan.FromMinutes(30));
            elapsed += TimeSpan.FromMinutes(30);
            token = (await SessionsClient.Ok(Client.PostAsync("web/token/regenerate", browser.Body(("expiredToken", token))))).Token;
        }

        fixture.Factory.Clock.Advance(TimeSpan.FromMinutes(31));
        var tooOld = await Client.PostAsync("web/token/regenerate", browser.Body(("expiredToken", token)));

        Assert.Equal(1597, tooOld.Code);
    }

    [Fact]
    public async Task ALoginBeyondMaxFamiliesEvictsTheLeastRecentlyUsedWebFamilyOnly()
    {
        // The test identifier takes a fixed code and no send window, so eleven logins fit in one window.
        var browser = new TestDevice(TestBrands.Demo, "MOBILE", TestBrands.TestMobile, TestDevice.NewDeviceId());
        var families = new List<string>();
        for (var i = 0; i < 10; i++)
        {
            families.Add((await WebLoginWithTestCodeAsync(browser)).Token!);
        }
        families[0] = (await SessionsClient.Ok(Client.PostAsync("web/token/regenerate", browser.Body(("expiredToken", families[0]))))).Token!;

        await WebLoginWithTestCodeAsync(browser);
        var evicted = await Client.PostAsync("web/token/regenerate", browser.Body(("expiredToken", families[1])));
        var used = await Client.PostAsync("web/token/regenerate", browser.Body(("expiredToken", families[0])));
        var third = await Client.PostAsync("web/token/regenerate", browser.Body(("expiredToken", families[2])));

        Assert.Equal(1597, evicted.Code);
        Assert.True(used.Success, used.Body.ToString());
        Assert.True(third.Success, third.Body.ToString());
    }

    [Fact]
    public async Task MobileAndWebFamiliesOnOneIdentifierAndDeviceLiveSideBySide()
    {
        var phone = TestDevice.NewMobile();
        var app = await Client.LoginAsync(phone);
        var web = await Client.WebLoginAsync(phone);
        var otherBrowser = await Client.WebLoginAsync(phone);

        var appNext = await Client.PostAsync("token/regenerate", phone.Body(("key", app.Key)));
        var webNext = await Client.PostAsync("web/token/regenerate", phone.Body(("expiredToken", web.Token)));
        var otherNext = await Client.PostAsync("web/token/regenerate", phone.Body(("expiredToken", otherBrowser.Token)));

        Assert.True(appNext.Success, appNext.Body.ToString());
        Assert.True(webNext.Success, webNext.Body.ToString());
        Assert.True(otherNext.Success, otherNext.Body.ToString());
    }

    [Fact]
    public async Task AKeyOrAnAppTokenIsNeverAnExpiredToken()
    {
        var phone = TestDevice.NewMobile();
        var app = await Client.MfaLoginAsync(phone, phone);
        var view = await SessionsClient.Ok(Client.PostAsync("web/token/generate", phone.Body()));

        var withKey = await Client.PostAsync("web/token/regenerate", phone.Body(("expiredToken", app.Key)));
        var withAppToken = await Client.PostAsync("web/token/regenerate", phone.Body(("expiredToken", app.Token)));
        var withView = await Client.PostAsync("web/token/regenerate", phone.Body(("expiredToken", view.Token)));

        Assert.Equal((HttpStatusCode.Unauthorized, 1596), (withKey.Status, withKey.Code));
        Assert.Equal(1596, withAppToken.Code);
        Assert.Equal(1596, withView.Code);
    }

    [Fact]
    public async Task AWebTokenDoesNotRegenerateForAnotherDeviceOrIdentifier()
    {
        var browser = TestDevice.NewBrowser();
        var login = await Client.WebLoginAsync(browser);

        var onDevice = await Client.PostAsync("web/token/regenerate", browser.OnDevice("phone-1").Body(("expiredToken", login.Token)));
        var otherIdentifier = await Client.PostAsync("web/token/regenerate", TestDevice.NewBrowser().Body(("expiredToken", login.Token)));

        Assert.Equal(1508, onDevice.Code);
        Assert.Equal(1507, otherIdentifier.Code);
    }

    [Fact]
    public async Task ABrowserCompletesTheMfaAMobileLoginWouldNeedWithoutADevice()
    {
        var phone = TestDevice.NewMobile();
        var email = TestDevice.NewEmail(deviceId: phone.DeviceId);
        await Client.MfaLoginAsync(phone, email);
        var browser = phone with { DeviceId = null };
        var browserEmail = email with { DeviceId = null };

        var first = await Client.WebLoginAsync(browser);
        var opened = await SessionsClient.Ok(Client.PostAsync("mfa/token/generate", browserEmail.Body(("authorizedToken", first.Token))));
        await SessionsClient.Ok(Client.PostAsync("mfa/otp/generate", browserEmail.Body(("sessionId", opened.SessionId))));
        var second = await Client.PostAsync("mfa/otp/validate", browserEmail.Body(("sessionId", opened.SessionId), ("otp", await Client.LatestOtpAsync(browserEmail))));
        var regenerated = await Client.PostAsync("web/token/regenerate", browserEmail.Body(("expiredToken", second.Token)));
        var pendingRegenerated = await Client.PostAsync("web/token/regenerate", browser.Body(("expiredToken", first.Token)));

        Assert.Equal("MFA_PENDING", first.Role);
        Assert.True(second.Success, second.Body.ToString());
        Assert.Equal("USER", second.Role);
        Assert.Null(second.Key);
        Assert.Equal("WEB", Jwt.Payload(second.Token!).GetProperty("chn").GetString());
        Assert.True(regenerated.Success, regenerated.Body.ToString());
        Assert.Equal("USER", regenerated.Role);
        Assert.Equal("MFA_PENDING", pendingRegenerated.Role);
    }

    [Fact]
    public async Task AWebPasswordChangeRevokesEveryOtherFamilyOfTheCustomerButTheBrowsersOwn()
    {
        var phone = TestDevice.NewMobile();
        var browser = phone with { DeviceId = null };
        var app = await Client.LoginAsync(phone);
        var here = await Client.WebLoginAsync(browser, ("password", Password), ("confirmPassword", Password));
        var otherBrowser = await Client.WebLoginAsync(browser);

        var changed = await Client.PostAsync("web/password/change", browser.Body(("token", here.Token), ("password", Password), ("newPassword", "second secret 2"), ("confirmPassword", "second secret 2")));
        var appKey = await Client.PostAsync("token/regenerate", phone.Body(("key", app.Key)));
        var other = await Client.PostAsync("web/token/regenerate", browser.Body(("expiredToken", otherBrowser.Token)));
        var own = await Client.PostAsync("web/token/regenerate", browser.Body(("expiredToken", here.Token)));

        Assert.True(changed.Success, changed.Body.ToString());
        Assert.Equal(1597, appKey.Code);
        Assert.Equal(1597, other.Code);
        Assert.True(own.Success, own.Body.ToString());
    }

    [Fact]
    public async Task AWebPasswordForgetRevokesEveryFamilyOfTheCustomer()
    {
        var phone = TestDevice.NewMobile();
        var browser = phone with { DeviceId = null };
        var app = await Client.LoginAsync(phone);
        var web = await Client.WebLoginAsync(browser);
        var sessionId = await Client.StartWebLoginAsync(browser);

        var reset = await Client.PostAsync("web/password/forget", browser.Body(("sessionId", sessionId), ("otp", await Client.LatestOtpAsync(browser)), ("password", "new secret 3"), ("confirmPassword", "new secret 3")));
        var appKey = await Client.PostAsync("token/regenerate", phone.Body(("key", app.Key)));
        var webToken = await Client.PostAsync("web/token/regenerate", browser.Body(("expiredToken", web.Token)));

        Assert.True(reset.Success, reset.Body.ToString());
        Assert.Equal(1597, appKey.Code);
        Assert.Equal(1597, webToken.Code);
    }

    [Fact]
    public async Task AnAppTokenDoesNotChangeThePasswordThroughTheWebEndpoint()
    {
        var phone = TestDevice.NewMobile();
        var app = await Client.LoginAsync(phone, ("password", Password), ("confirmPassword", Password));

        var changed = await Client.PostAsync("web/password/change", phone.Body(("token", app.Token), ("password", Password), ("newPassword", "second secret 2"), ("confirmPassword", "second secret 2")));

        Assert.Equal(1596, changed.Code);
    }

    [Fact]
    public async Task EveryWebEndpointAnswers1519WhenTheBrandDisablesWebLogin()
    {
        var browser = TestDevice.NewBrowser(TestBrands.Plain);
        foreach (var endpoint in new[] { "token/generate", "otp/generate", "otp/validate", "password/validate", "token/regenerate", "password/change", "password/forget" })
        {
            var response = await Client.PostAsync("web/" + endpoint, browser.Body(("sessionId", "P-1"), ("otp", "123456"), ("expiredToken", "x")));

            Assert.Equal((HttpStatusCode.BadRequest, 1519), (response.Status, response.Code));
            Assert.Contains("web login is not enabled", response.Message, StringComparison.Ordinal);
        }
    }

    private async Task<ApiResponse> WebLoginWithTestCodeAsync(TestDevice browser)
    {
        var sessionId = await Client.StartWebLoginAsync(browser);
        return await SessionsClient.Ok(Client.PostAsync("web/otp/validate", browser.Body(("sessionId", sessionId), ("otp", TestBrands.TestOtp))));
    }
}
