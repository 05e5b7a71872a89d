using System.Net;
using Sessions.Tests.Infrastructure;

namespace Sessions.Tests.Api;

[Collection(ApiCollection.Name)]
public sealed class MfaTests(ApiFixture fixture)
{
    private SessionsClient Client => fixture.Client;

    [Fact]
    public async Task MfaOtpIssuesAUserTokenAndAnMfaKeyForTheSecondFactorIdentifier()
    {
        var first = TestDevice.NewMobile();
        var second = TestDevice.NewEmail(deviceId: first.DeviceId);
        var login = await Client.LoginAsync(first);
        var opened = await SessionsClient.Ok(Client.PostAsync("mfa/token/generate", second.Body(("authorizedToken", login.Token))));
        await SessionsClient.Ok(Client.PostAsync("mfa/otp/generate", second.Body(("sessionId", opened.SessionId))));

        var mfa = await SessionsClient.Ok(Client.PostAsync("mfa/otp/validate", second.Body(("sessionId", opened.SessionId), ("otp", await Client.LatestOtpAsync(second)))));

        Assert.Equal("VIEW", opened.Role);
        Assert.StartsWith("P-", opened.SessionId);
        Assert.False(opened.User.GetProperty("userRegisteredForPassword").GetBoolean());
        Assert.Equal("USER", mfa.Role);
        Assert.Equal($"EMAIL|{second.IdentifierValue}", Jwt.Header(mfa.Token!).GetProperty("idv")[0].GetString());
        Assert.Equal($"EMAIL|{second.IdentifierValue}", Jwt.Header(mfa.Key!).GetProperty("idv")[0].GetString());
        Assert.True(Jwt.Payload(mfa.Key!).GetProperty("mfa").GetBoolean());
        Assert.Equal(Jwt.Payload(login.Token!).GetProperty("uid").GetString(), Jwt.Payload(mfa.Token!).GetProperty("uid").GetString());
    }

    [Fact]
    public async Task MfaRegenerateRotatesAndKeepsTheUserRole()
    {
        var first = TestDevice.NewMobile();
        var second = TestDevice.NewEmail(deviceId: first.DeviceId);
        var mfa = await Client.MfaLoginAsync(first, second);

        var regenerated = await SessionsClient.Ok(Client.PostAsync("mfa/token/regenerate", second.Body(("key", mfa.Key))));
        var again = await SessionsClient.Ok(Client.PostAsync("mfa/token/regenerate", second.Body(("key", regenerated.Key))));

        Assert.NotEqual(mfa.Key, regenerated.Key);
        Assert.Equal("USER", Jwt.Payload(again.Token!).GetProperty("rol").GetString());
        Assert.True(Jwt.Payload(again.Key!).GetProperty("mfa").GetBoolean());
    }

    [Fact]
    public async Task APrimaryKeyIsNotAnMfaKeyAndAnMfaKeyIsNotAPrimaryKey()
    {
        var device = TestDevice.NewMobile();
        var mfa = await Client.MfaLoginAsync(device, device);

        var primaryAtMfa = await Client.PostAsync("mfa/token/regenerate", device.Body(("key", (await Client.LoginAsync(device)).Key)));
        var mfaAtPrimary = await Client.PostAsync("token/regenerate", device.Body(("key", mfa.Key)));
        var tokenAsKey = await Client.PostAsync("mfa/token/regenerate", device.Body(("key", mfa.Token)));

        Assert.All([primaryAtMfa, mfaAtPrimary, tokenAsKey], r => Assert.Equal((HttpStatusCode.Unauthorized, 1597), (r.Status, r.Code)));
    }

    [Fact]
    public async Task AfterMfaTheNextFirstFactorIsMfaPending()
    {
        var device = TestDevice.NewMobile();
        var email = TestDevice.NewEmail(deviceId: device.DeviceId);
        await Client.MfaLoginAsync(device, email);

        var again = await Client.LoginAsync(device.OnDevice("new-phone"));
        var authorized = await Client.PostAsync("mfa/token/generate", email.OnDevice("new-phone").Body(("authorizedToken", again.Token)));

        Assert.Equal("MFA_PENDING", again.Role);
        Assert.True(authorized.Success, "an MFA_PENDING token starts the second factor on the customer's own second factor");
    }

    [Fact]
    public async Task MfaTokenGenerateRefusesTokensThatAreNotFirstFactorTokensOfThisDevice()
    {
        var device = TestDevice.NewMobile();
        var login = await Client.LoginAsync(device);
        var view = await SessionsClient.Ok(Client.PostAsync("token/generate", device.Body()));
        var second = TestDevice.NewEmail(deviceId: device.DeviceId);

        var withView = await Client.PostAsync("mfa/token/generate", second.Body(("authorizedToken", view.Token)));
        var withKey = await Client.PostAsync("mfa/token/generate", second.Body(("authorizedToken", login.Key)));
        var otherDevice = await Client.PostAsync("mfa/token/generate", second.OnDevice("elsewhere").Body(("authorizedToken", login.Token)));
        var otherBrand = await Client.PostAsync("mfa/token/generate", (second with { Brand = TestBrands.NoRotation }).Body(("authorizedToken", login.Token)));
        var missing = await Client.PostAsync("mfa/token/generate", second.Body());

        Assert.Equal((HttpStatusCode.Unauthorized, 1596), (withView.Status, withView.Code));
        Assert.Equal(1596, withKey.Code);
        Assert.Equal(1508, otherDevice.Code);
        Assert.Equal(1509, otherBrand.Code);
        Assert.Equal((HttpStatusCode.BadRequest, 1519), (missing.Status, missing.Code));
    }

    [Fact]
    public async Task AnIdentifierLinkedToAnotherCustomerCannotBeTheirSecondFactor()
    {
        var alice = TestDevice.NewMobile();
        var bob = TestDevice.NewMobile().OnDevice(alice.DeviceId);
        var shared = TestDevice.NewEmail(deviceId: alice.DeviceId);
        await Client.MfaLoginAsync(alice, shared);
        var bobLogin = await Client.LoginAsync(bob);

        var response = await Client.PostAsync("mfa/token/generate", shared.Body(("authorizedToken", bobLogin.Token)));

        Assert.Equal((HttpStatusCode.BadRequest, 1519), (response.Status, response.Code));
        Assert.Contains("identifierValue", response.Message);
    }

    [Fact]
    public async Task MfaEndpointsNeedTheBrandToEnableMfa()
    {
        var device = TestDevice.NewMobile(TestBrands.Plain);

        var response = await Client.PostAsync("mfa/otp/generate", device.Body(("sessionId", "P-x")));

        Assert.Equal((HttpStatusCode.BadRequest, 1551), (response.Status, response.Code));
    }

    [Fact]
    public async Task AFirstTimeMfaPasswordIsSetThroughTheOtpAndThenValidates()
    {
        var first = TestDevice.NewMobile();
        var second = TestDevice.NewEmail(deviceId: first.DeviceId);
        var login = await Client.LoginAsync(first);
        var setup = await SessionsClient.Ok(Client.PostAsync("mfa/token/generate", second.Body(("authorizedToken", login.Token), ("password", "mfa secret 1"), ("confirmPassword", "mfa secret 1"))));
        await SessionsClient.Ok(Client.PostAsync("mfa/otp/generate", second.Body(("sessionId", setup.SessionId))));
        var afterOtp = await SessionsClient.Ok(Client.PostAsync("mfa/otp/validate", second.Body(("sessionId", setup.SessionId), ("otp", await Client.LatestOtpAsync(second)))));

        var next = await SessionsClient.Ok(Client.PostAsync("mfa/token/generate", second.Body(("authorizedToken", afterOtp.Token))));
        var wrong = await Client.PostAsync("mfa/password/validate", second.Body(("sessionId", next.SessionId), ("password", "not it at all")));
        var right = await Client.PostAsync("mfa/password/validate", second.Body(("sessionId", next.SessionId), ("password", "mfa secret 1")));

        Assert.True(next.User.GetProperty("userRegisteredForPassword").GetBoolean());
        Assert.Equal((HttpStatusCode.Unauthorized, 1528), (wrong.Status, wrong.Code));
        Assert.True(right.Success, right.Body.ToString());
        Assert.True(Jwt.Payload(right.Key!).GetProperty("mfa").GetBoolean());
        Assert.True(right.Body.TryGetProperty("identifiers", out _));
    }

    [Fact]
    public async Task AnMfaPasswordMustMatchTheBrandPolicy()
    {
        var device = TestDevice.NewMobile(TestBrands.Strict);
        var login = await Client.LoginAsync(device, ("password", "Secret123"), ("confirmPassword", "Secret123"));

        var weak = await Client.PostAsync("mfa/token/generate", device.Body(("authorizedToken", login.Token), ("password", "alllowercase"), ("confirmPassword", "alllowercase")));
        var strong = await Client.PostAsync("mfa/token/generate", device.Body(("authorizedToken", login.Token), ("password", "Upper4nd1"), ("confirmPassword", "Upper4nd1")));

        Assert.Equal((HttpStatusCode.BadRequest, 1542), (weak.Status, weak.Code));
        Assert.True(strong.Success);
    }

    [Theory]
    [InlineData("DELETE")]
    [InlineData("POST")]
    public async Task ExpireRevokesTheMfaFamilySoTheKeyNeverRegeneratesAgain(string method)
    {
        var device = TestDevice.NewMobile();
        var mfa = await Client.MfaLoginAsync(device, device);

        var expired = await Client.PostAsync("mfa/token/expire", device.Body(("token", mfa.Token)), new HttpMethod(method));
        var regenerate = await Client.PostAsync("mfa/token/regenerate", device.Body(("key", mfa.Key)));
        var again = await Client.PostAsync("mfa/token/expire", device.Body(("token", mfa.Token)), new HttpMethod(method));

        Assert.Equal(HttpStatusCode.OK, expired.Status);
        Assert.Equal("Token expired successfully", expired.Message);
        Assert.Equal(1597, regenerate.Code);
        Assert.Equal((HttpStatusCode.Unauthorized, 1531), (again.Status, again.Code));
    }

    [Fact]
    public async Task ExpireRefusesAFirstFactorTokenAndATokenOfAnotherIdentifier()
    {
        var device = TestDevice.NewMobile();
        var login = await Client.LoginAsync(device);
        var mfa = await Client.MfaLoginAsync(device, device);

        var firstFactor = await Client.PostAsync("mfa/token/expire", device.Body(("token", login.Token)));
        var otherIdentifier = await Client.PostAsync("mfa/token/expire", TestDevice.NewMobile().OnDevice(device.DeviceId).Body(("token", mfa.Token)));
        var keyAsToken = await Client.PostAsync("mfa/token/expire", device.Body(("token", mfa.Key)));

        Assert.Equal(1531, firstFactor.Code);
        Assert.Equal(1507, otherIdentifier.Code);
        Assert.Equal(1596, keyAsToken.Code);
    }

    [Fact]
    public async Task ANewMfaLoginRevokesThePreviousMfaFamilyOfTheDevice()
    {
        var device = TestDevice.NewMobile();
        var first = await Client.MfaLoginAsync(device, device);
        await Client.MfaLoginAsync(device, device);

        var response = await Client.PostAsync("mfa/token/regenerate", device.Body(("key", first.Key)));

        Assert.Equal(1597, response.Code);
    }

    [Fact]
    public async Task AnExpiredFirstFactorTokenCannotStartMfa()
    {
        await using var factory = new ApiFactory();
        var client = factory.CreateSessionsClient();
        var device = TestDevice.NewMobile();
        var login = await client.LoginAsync(device);

        factory.Clock.Advance(TimeSpan.FromMinutes(15) + TimeSpan.FromSeconds(31));
        var response = await client.PostAsync("mfa/token/generate", device.Body(("authorizedToken", login.Token)));

        Assert.Equal((HttpStatusCode.Unauthorized, 1529), (response.Status, response.Code));
    }
}
