using System.Net;
using Sessions.Tests.Infrastructure;

namespace Sessions.Tests.Api;

/// <summary>
/// <c>user/updateIdentifierValue</c> (API.md §4.4): the customer moves to the new value, every family under the old
/// one dies, the old value is free, and a value in use is refused with nothing changed.
/// </summary>
[Collection(ApiCollection.Name)]
public sealed class IdentifierChangeTests(ApiFixture fixture)
{
    private SessionsClient Client => fixture.Client;

    [Fact]
    public async Task AnIdentifierChangeMovesTheCustomerAndRevokesEveryFamilyUnderTheOldValue()
    {
        var phone = TestDevice.NewMobile();
        var app = await Client.LoginAsync(phone);
        var tablet = await Client.LoginAsync(phone.OnDevice("tablet"));
        var web = await Client.WebLoginAsync(phone with { DeviceId = null });
        var moved = TestDevice.NewMobile() with { DeviceId = phone.DeviceId };

        var changed = await Client.PostAsync("user/updateIdentifierValue", phone.Body(("token", app.Token), ("newIdentifierValue", moved.IdentifierValue)));
        var appKey = await Client.PostAsync("token/regenerate", phone.Body(("key", app.Key)));
        var tabletKey = await Client.PostAsync("token/regenerate", phone.OnDevice("tablet").Body(("key", tablet.Key)));
        var webToken = await Client.PostAsync("web/token/regenerate", (phone with { DeviceId = null }).Body(("expiredToken", web.Token)));
        var newLogin = await Client.LoginAsync(moved);
        var oldLogin = await Client.LoginAsync(phone.OnDevice("another"));

        Assert.True(changed.Success, changed.Body.ToString());
        Assert.Equal("SUCCESS", changed.Message);
        Assert.Equal(1597, appKey.Code);
        Assert.Equal(1597, tabletKey.Code);
        Assert.Equal(1597, webToken.Code);
        Assert.Equal(CustomerOf(app), CustomerOf(newLogin));
        Assert.NotEqual(CustomerOf(app), CustomerOf(oldLogin));
    }

    [Fact]
    public async Task AValueInUseIsRefusedAndNothingChanges()
    {
        var phone = TestDevice.NewMobile();
        var app = await Client.LoginAsync(phone);
        var other = TestDevice.NewMobile();
        await Client.LoginAsync(other);

        var taken = await Client.PostAsync("user/updateIdentifierValue", phone.Body(("token", app.Token), ("newIdentifierValue", other.IdentifierValue)));
        var same = await Client.PostAsync("user/updateIdentifierValue", phone.Body(("token", app.Token), ("newIdentifierValue", "+" + phone.IdentifierValue)));
        var key = await Client.PostAsync("token/regenerate", phone.Body(("key", app.Key)));

        Assert.Equal((HttpStatusCode.BadRequest, 1519), (taken.Status, taken.Code));
        Assert.Equal("Invalid details passed: newIdentifierValue is already in use.", taken.Message);
        Assert.Equal(1519, same.Code);
        Assert.True(key.Success, key.Body.ToString());
    }

    [Fact]
    public async Task ABrowserChangesTheIdentifierWithItsWebTokenAndNoDevice()
    {
        var browser = TestDevice.NewBrowser();
        var web = await Client.WebLoginAsync(browser);
        var moved = TestDevice.NewBrowser();

        var changed = await Client.PostAsync("user/updateIdentifierValue", browser.Body(("token", web.Token), ("newIdentifierValue", moved.IdentifierValue)));
        var newLogin = await Client.WebLoginAsync(moved);

        Assert.True(changed.Success, changed.Body.ToString());
        Assert.Equal(CustomerOf(web), CustomerOf(newLogin));
    }

    [Fact]
    public async Task TheOldTokenCannotChangeTheIdentifierAgainAndABadValueIsNamed()
    {
        var phone = TestDevice.NewMobile();
        var app = await Client.LoginAsync(phone);
        await SessionsClient.Ok(Client.PostAsync("user/updateIdentifierValue", phone.Body(("token", app.Token), ("newIdentifierValue", TestDevice.NewMobile().IdentifierValue))));

        var again = await Client.PostAsync("user/updateIdentifierValue", phone.Body(("token", app.Token), ("newIdentifierValue", TestDevice.NewMobile().IdentifierValue)));
        var bad = await Client.PostAsync("user/updateIdentifierValue", phone.Body(("token", app.Token), ("newIdentifierValue", "12")));
        var withKey = await Client.PostAsync("user/updateIdentifierValue", phone.Body(("token", app.Key), ("newIdentifierValue", TestDevice.NewMobile().IdentifierValue)));

        Assert.Equal(1507, again.Code);
        Assert.Equal(1519, bad.Code);
        Assert.Contains("newIdentifierValue", bad.Message, StringComparison.Ordinal);
        Assert.Equal(1596, withKey.Code);
    }

    [Fact]
    public async Task AConcurrentIdentifierChangeAndLoginLeaveTheCustomerNoLiveFamilyUnderTheOldValue()
    {
        for (var round = 0; round < 5; round++)
        {
            var phone = TestDevice.NewMobile();
            var app = await Client.LoginAsync(phone);
            var racer = phone.OnDevice($"racer-{round}");
            var sessionId = await Client.StartLoginAsync(racer);
            var otp = await Client.LatestOtpAsync(racer);
            var moved = TestDevice.NewMobile() with { DeviceId = phone.DeviceId };

            var change = Client.PostAsync("user/updateIdentifierValue", phone.Body(("token", app.Token), ("newIdentifierValue", moved.IdentifierValue)));
            var login = Client.PostAsync("otp/validate", racer.Body(("sessionId", sessionId), ("otp", otp)));
            await Task.WhenAll(change, login);

            Assert.True((await change).Success, (await change).Body.ToString());
            if ((await login).Success && CustomerOf(await login) == CustomerOf(app))
            {
                var raced = await Client.PostAsync("token/regenerate", racer.Body(("key", (await login).Key)));
                Assert.Equal(1597, raced.Code);
            }
            Assert.Equal(CustomerOf(app), CustomerOf(await Client.LoginAsync(moved)));
            Assert.NotEqual(CustomerOf(app), CustomerOf(await Client.LoginAsync(phone.OnDevice($"after-{round}"))));
        }
    }

    private static string CustomerOf(ApiResponse login) => Jwt.Payload(login.Token!).GetProperty("uid").GetString()!;
}
