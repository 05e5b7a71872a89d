using System.Net;
using Sessions.Tests.Infrastructure;

namespace Sessions.Tests.Api;

[Collection(ApiCollection.Name)]
public sealed class PasswordLifecycleTests(ApiFixture fixture)
{
    private const string Password = "first secret 1";
    private SessionsClient Client => fixture.Client;

    [Fact]
    public async Task ChangingThePasswordRevokesKeysOnOtherDevicesOnly()
    {
        var phone = TestDevice.NewMobile();
        var here = await LoginWithPasswordAsync(phone);
        var tablet = await Client.LoginAsync(phone.OnDevice("tablet"));

        var changed = await Client.PostAsync("password/change", phone.Body(("token", here.Token), ("password", Password), ("newPassword", "second secret 2"), ("confirmPassword", "second secret 2")));
        var tabletKey = await Client.PostAsync("token/regenerate", phone.OnDevice("tablet").Body(("key", tablet.Key)));
        var hereKey = await Client.PostAsync("token/regenerate", phone.Body(("key", here.Key)));
        var reopened = await SessionsClient.Ok(Client.PostAsync("token/generate", phone.Body()));
        var oldPassword = await Client.PostAsync("password/validate", phone.Body(("sessionId", reopened.SessionId), ("password", Password)));
        var newPassword = await Client.PostAsync("password/validate", phone.Body(("sessionId", reopened.SessionId), ("password", "second secret 2")));

        Assert.Equal("SUCCESS", changed.Message);
        Assert.Equal(1597, tabletKey.Code);
        Assert.True(hereKey.Success);
        Assert.Equal(1528, oldPassword.Code);
        Assert.True(newPassword.Success);
    }

    [Theory]
    [InlineData("wrong secret 9", "second secret 2", "second secret 2", 1528, HttpStatusCode.Unauthorized)]
    [InlineData(Password, Password, Password, 1527, HttpStatusCode.BadRequest)]
    [InlineData(Password, "second secret 2", "third secret 3", 1521, HttpStatusCode.BadRequest)]
    [InlineData(Password, "short", "short", 1542, HttpStatusCode.BadRequest)]
    public async Task ABadPasswordChangeIsRefused(string current, string replacement, string confirmation, int code, HttpStatusCode status)
    {
        var phone = TestDevice.NewMobile();
        var login = await LoginWithPasswordAsync(phone);

        var response = await Client.PostAsync("password/change", phone.Body(("token", login.Token), ("password", current), ("newPassword", replacement), ("confirmPassword", confirmation)));

        Assert.Equal((status, code), (response.Status, response.Code));
    }

    [Fact]
    public async Task ChangingNeedsAUserTokenOfThisDeviceSession()
    {
        var phone = TestDevice.NewMobile();
        var login = await LoginWithPasswordAsync(phone);

        var withKey = await Client.PostAsync("password/change", phone.Body(("token", login.Key), ("password", Password), ("newPassword", "second secret 2"), ("confirmPassword", "second secret 2")));
        var otherDevice = await Client.PostAsync("password/change", phone.OnDevice("x").Body(("token", login.Token), ("password", Password), ("newPassword", "second secret 2"), ("confirmPassword", "second secret 2")));

        Assert.Equal(1596, withKey.Code);
        Assert.Equal(1508, otherDevice.Code);
    }

    [Fact]
    public async Task ForgettingThePasswordNeedsTheOtpAndRevokesEveryKey()
    {
        var phone = TestDevice.NewMobile();
        var here = await LoginWithPasswordAsync(phone);
        var tablet = await Client.LoginAsync(phone.OnDevice("tablet"));
        var sessionId = await Client.StartLoginAsync(phone);
        var otp = await Client.LatestOtpAsync(phone);

        var withoutOtp = await Client.PostAsync("password/forget", phone.Body(("sessionId", sessionId), ("password", "new secret 3"), ("confirmPassword", "new secret 3")));
        var wrongOtp = await Client.PostAsync("password/forget", phone.Body(("sessionId", sessionId), ("otp", SessionsClient.WrongOtp(otp)), ("password", "new secret 3"), ("confirmPassword", "new secret 3")));
        var reset = await Client.PostAsync("password/forget", phone.Body(("sessionId", sessionId), ("otp", otp), ("password", "new secret 3"), ("confirmPassword", "new secret 3")));
        var again = await Client.PostAsync("password/forget", phone.Body(("sessionId", sessionId), ("otp", otp), ("password", "new secret 4"), ("confirmPassword", "new secret 4")));

        Assert.Equal(1519, withoutOtp.Code);
        Assert.Equal(1506, wrongOtp.Code);
        Assert.True(reset.Success, reset.Body.ToString());
        Assert.Equal(1505, again.Code);
        Assert.Equal(1597, (await Client.PostAsync("token/regenerate", phone.Body(("key", here.Key)))).Code);
        Assert.Equal(1597, (await Client.PostAsync("token/regenerate", phone.OnDevice("tablet").Body(("key", tablet.Key)))).Code);
        var reopened = await SessionsClient.Ok(Client.PostAsync("token/generate", phone.Body()));
        Assert.True((await Client.PostAsync("password/validate", phone.Body(("sessionId", reopened.SessionId), ("password", "new secret 3")))).Success);
    }

    [Fact]
    public async Task ABrandCanSkipTheOtpOnReset()
    {
        var phone = TestDevice.NewMobile(TestBrands.Guarded);
        await LoginWithPasswordAsync(phone);
        var opened = await SessionsClient.Ok(Client.PostAsync("token/generate", phone.Body()));

        var reset = await Client.PostAsync("password/forget", phone.Body(("sessionId", opened.SessionId), ("password", "new secret 3"), ("confirmPassword", "new secret 3")));

        Assert.True(reset.Success, reset.Body.ToString());
    }

    [Fact]
    public async Task TheMfaPasswordChangesAndResetsOnItsOwn()
    {
        var phone = TestDevice.NewMobile();
        var login = await Client.LoginAsync(phone);
        var setup = await SessionsClient.Ok(Client.PostAsync("mfa/token/generate", phone.Body(("authorizedToken", login.Token), ("password", "mfa secret 1"), ("confirmPassword", "mfa secret 1"))));
        await SessionsClient.Ok(Client.PostAsync("mfa/otp/generate", phone.Body(("sessionId", setup.SessionId))));
        var mfa = await SessionsClient.Ok(Client.PostAsync("mfa/otp/validate", phone.Body(("sessionId", setup.SessionId), ("otp", await Client.LatestOtpAsync(phone)))));
        var tablet = await Client.MfaLoginAsync(phone.OnDevice("tablet"), phone.OnDevice("tablet"));

        var changed = await Client.PostAsync("mfa/password/change", phone.Body(("token", mfa.Token), ("password", "mfa secret 1"), ("newPassword", "mfa secret 2"), ("confirmPassword", "mfa secret 2")));
        var tabletMfa = await Client.PostAsync("mfa/token/regenerate", phone.OnDevice("tablet").Body(("key", tablet.Key)));
        var next = await SessionsClient.Ok(Client.PostAsync("mfa/token/generate", phone.Body(("authorizedToken", mfa.Token))));
        await SessionsClient.Ok(Client.PostAsync("mfa/otp/generate", phone.Body(("sessionId", next.SessionId))));
        var reset = await Client.PostAsync("mfa/password/forget", phone.Body(("sessionId", next.SessionId), ("otp", await Client.LatestOtpAsync(phone)), ("password", "mfa secret 3"), ("confirmPassword", "mfa secret 3")));
        var hereMfa = await Client.PostAsync("mfa/token/regenerate", phone.Body(("key", mfa.Key)));
        var herePrimary = await Client.PostAsync("token/regenerate", phone.Body(("key", login.Key)));

        Assert.True(changed.Success, changed.Body.ToString());
        Assert.Equal(1597, tabletMfa.Code);
        Assert.True(reset.Success, reset.Body.ToString());
        Assert.Equal(1597, hereMfa.Code);
        Assert.True(herePrimary.Success, "an MFA password reset leaves first-factor keys alone");
    }

    private Task<ApiResponse> LoginWithPasswordAsync(TestDevice device) => Client.LoginAsync(device, ("password", Password), ("confirmPassword", Password));
}
