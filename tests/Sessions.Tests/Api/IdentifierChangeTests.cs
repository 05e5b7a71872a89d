using System.Net;
using Sessions.Tests.Infrastructure;

namespace Sessions.Tests.Api;

/// <summary>
/// <c>user/updateIdentifierValue</c> (API.md §4.4): the customer proves the new value with the OTP sent to it, moves
/// there, every family under the old value dies, the old value is free, and a value in use is refused with nothing
/// changed. A token of a family that no longer lives changes nothing.
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

        var changed = await Client.ChangeIdentifierAsync(phone, app.Token!, moved.IdentifierValue);
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
    public async Task NothingMovesUntilTheOtpSentToTheNewValueIsGiven()
    {
        var phone = TestDevice.NewMobile();
        var app = await Client.LoginAsync(phone);
        var moved = TestDevice.NewMobile() with { DeviceId = phone.DeviceId };

        var sent = await Client.PostAsync("user/updateIdentifierValue", phone.Body(("token", app.Token), ("newIdentifierValue", moved.IdentifierValue)));
        var stillOld = await Client.PostAsync("token/regenerate", phone.Body(("key", app.Key)));
        var newValueFree = await Client.LoginAsync(TestDevice.NewMobile() with { IdentifierValue = moved.IdentifierValue });

        Assert.Equal((HttpStatusCode.OK, "OTP sent to the new identifier value."), (sent.Status, sent.Message));
        Assert.True(stillOld.Success, stillOld.Body.ToString());
        Assert.NotEqual(CustomerOf(app), CustomerOf(newValueFree));
    }

    [Fact]
    public async Task AWrongOtpIsCountedAndTheChangeDiesAtMaxAttempts()
    {
        var phone = TestDevice.NewMobile(TestBrands.Strict);
        var app = await Client.LoginAsync(phone, ("password", "Secret123"), ("confirmPassword", "Secret123"));
        var mfa = await Client.MfaLoginAsync(phone, phone, app);
        var moved = TestDevice.NewMobile(TestBrands.Strict) with { DeviceId = phone.DeviceId };
        await SessionsClient.Ok(Client.PostAsync("user/updateIdentifierValue", phone.Body(("token", mfa.Token), ("newIdentifierValue", moved.IdentifierValue))));
        var right = await Client.LatestOtpAsync(moved);

        var wrong = new List<ApiResponse>();
        for (var i = 0; i < 3; i++)
        {
            wrong.Add(await Client.PostAsync("user/updateIdentifierValue", phone.Body(("token", mfa.Token), ("newIdentifierValue", moved.IdentifierValue), ("otp", SessionsClient.WrongOtp(right)))));
        }
        var rightTooLate = await Client.PostAsync("user/updateIdentifierValue", phone.Body(("token", mfa.Token), ("newIdentifierValue", moved.IdentifierValue), ("otp", right)));
        var otherValue = await Client.PostAsync("user/updateIdentifierValue", phone.Body(("token", mfa.Token), ("newIdentifierValue", TestDevice.NewMobile().IdentifierValue), ("otp", right)));

        Assert.Equal([1506, 1506, 1518], wrong.Select(r => r.Code));
        Assert.Equal(1518, rightTooLate.Code);
        Assert.Equal((HttpStatusCode.Unauthorized, 1537), (otherValue.Status, otherValue.Code));
        Assert.True((await Client.PostAsync("mfa/token/regenerate", phone.Body(("key", mfa.Key)))).Success, "nothing moved");
    }

    [Fact]
    public async Task AValueInUseIsRefusedAndNoOtpIsSentToIt()
    {
        var phone = TestDevice.NewMobile();
        var app = await Client.LoginAsync(phone);
        var other = TestDevice.NewMobile();
        await Client.LoginAsync(other);
        var sentToOtherBefore = await Client.LatestOtpAsync(other);

        var taken = await Client.PostAsync("user/updateIdentifierValue", phone.Body(("token", app.Token), ("newIdentifierValue", other.IdentifierValue)));
        var same = await Client.PostAsync("user/updateIdentifierValue", phone.Body(("token", app.Token), ("newIdentifierValue", "+" + phone.IdentifierValue)));
        var key = await Client.PostAsync("token/regenerate", phone.Body(("key", app.Key)));

        Assert.Equal((HttpStatusCode.BadRequest, 1519), (taken.Status, taken.Code));
        Assert.Equal("Invalid details passed: newIdentifierValue is already in use.", taken.Message);
        Assert.Equal(sentToOtherBefore, await Client.LatestOtpAsync(other));
        Assert.Equal(1519, same.Code);
        Assert.True(key.Success, key.Body.ToString());
    }

    [Fact]
    public async Task ABrowserChangesTheIdentifierWithItsWebTokenAndNoDevice()
    {
        var browser = TestDevice.NewBrowser();
        var web = await Client.WebLoginAsync(browser);
        var moved = TestDevice.NewBrowser();

        var changed = await Client.ChangeIdentifierAsync(browser, web.Token!, moved.IdentifierValue);
        var newLogin = await Client.WebLoginAsync(moved);

        Assert.True(changed.Success, changed.Body.ToString());
        Assert.Equal(CustomerOf(web), CustomerOf(newLogin));
    }

    [Fact]
    public async Task TheOldTokenCannotChangeTheIdentifierAgainAndABadValueIsNamed()
    {
        var phone = TestDevice.NewMobile();
        var app = await Client.LoginAsync(phone);
        var other = await Client.LoginAsync(phone.OnDevice("other"));
        await SessionsClient.Ok(Client.ChangeIdentifierAsync(phone, app.Token!, TestDevice.NewMobile().IdentifierValue));

        var again = await Client.PostAsync("user/updateIdentifierValue", phone.Body(("token", app.Token), ("newIdentifierValue", TestDevice.NewMobile().IdentifierValue)));
        var otherDevice = await Client.PostAsync("user/updateIdentifierValue", phone.OnDevice("other").Body(("token", other.Token), ("newIdentifierValue", TestDevice.NewMobile().IdentifierValue)));
        var fresh = await Client.LoginAsync(phone.OnDevice("fresh"));
        var bad = await Client.PostAsync("user/updateIdentifierValue", phone.OnDevice("fresh").Body(("token", fresh.Token), ("newIdentifierValue", "12")));
        var withKey = await Client.PostAsync("user/updateIdentifierValue", phone.OnDevice("fresh").Body(("token", fresh.Key), ("newIdentifierValue", TestDevice.NewMobile().IdentifierValue)));

        Assert.Equal((HttpStatusCode.Unauthorized, 1596), (again.Status, again.Code));
        Assert.Equal(1596, otherDevice.Code);
        Assert.Equal(1519, bad.Code);
        Assert.Contains("newIdentifierValue", bad.Message, StringComparison.Ordinal);
        Assert.Equal(1596, withKey.Code);
    }

    [Fact]
    public async Task ABrandWhoseCrmVouchesForTheValueMovesAtOnce()
    {
        var phone = TestDevice.NewMobile(TestBrands.Plain);
        var app = await Client.LoginAsync(phone);
        var moved = TestDevice.NewMobile(TestBrands.Plain) with { DeviceId = phone.DeviceId };

        var changed = await Client.PostAsync("user/updateIdentifierValue", phone.Body(("token", app.Token), ("newIdentifierValue", moved.IdentifierValue)));

        Assert.Equal("SUCCESS", changed.Message);
        Assert.Null(await Client.LatestOtpOrNullAsync(moved));
        Assert.Equal(CustomerOf(app), CustomerOf(await Client.LoginAsync(moved)));
    }

    [Fact]
    public async Task TwoCustomersMovingOntoEachOthersValuesAtOnceAreBothRefusedAtOnce()
    {
        var alice = TestDevice.NewMobile(TestBrands.Plain);
        var bob = TestDevice.NewMobile(TestBrands.Plain);
        var aliceLogin = await Client.LoginAsync(alice);
        var bobLogin = await Client.LoginAsync(bob);

        var started = DateTime.UtcNow;
        var answers = await Task.WhenAll(
            Client.PostAsync("user/updateIdentifierValue", alice.Body(("token", aliceLogin.Token), ("newIdentifierValue", bob.IdentifierValue))),
            Client.PostAsync("user/updateIdentifierValue", bob.Body(("token", bobLogin.Token), ("newIdentifierValue", alice.IdentifierValue))));

        Assert.All(answers, a => Assert.Equal("Invalid details passed: newIdentifierValue is already in use.", a.Message));
        Assert.True(DateTime.UtcNow - started < TimeSpan.FromSeconds(5), "the two moves must not wait on each other");
        Assert.Equal(CustomerOf(aliceLogin), CustomerOf(await Client.LoginAsync(alice.OnDevice("again"))));
        Assert.Equal(CustomerOf(bobLogin), CustomerOf(await Client.LoginAsync(bob.OnDevice("again"))));
        Assert.True((await Client.PostAsync("user/updateIdentifierValue", alice.Body(("token", aliceLogin.Token), ("newIdentifierValue", TestDevice.NewMobile().IdentifierValue)))).Success,
            "no move is left pending to block the next one");
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
            await SessionsClient.Ok(Client.PostAsync("user/updateIdentifierValue", phone.Body(("token", app.Token), ("newIdentifierValue", moved.IdentifierValue))));
            var changeOtp = await Client.LatestOtpAsync(moved);

            var change = Client.PostAsync("user/updateIdentifierValue", phone.Body(("token", app.Token), ("newIdentifierValue", moved.IdentifierValue), ("otp", changeOtp)));
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

    [Fact]
    public async Task AStolenKeyCannotStartAChangeWhereTheBrandAsksForARecentLogin()
    {
        var phone = TestDevice.NewMobile(TestBrands.Guarded);
        var owner = await Client.LoginAsync(phone);
        var thiefsAddress = TestDevice.NewMobile(TestBrands.Guarded) with { DeviceId = phone.DeviceId };
        fixture.Factory.Clock.Advance(TimeSpan.FromMinutes(6));
        // The thief holds a copy of the phone's key: its regenerate gives a live USER token, but it is no login.
        var thief = await SessionsClient.Ok(Client.PostAsync("token/regenerate", phone.Body(("key", owner.Key))));

        var refused = await Client.PostAsync("user/updateIdentifierValue", phone.Body(("token", thief.Token), ("newIdentifierValue", thiefsAddress.IdentifierValue)));
        var withAGuessedCode = await Client.PostAsync("user/updateIdentifierValue",
            phone.Body(("token", thief.Token), ("newIdentifierValue", thiefsAddress.IdentifierValue), ("otp", "123456")));

        Assert.Equal((HttpStatusCode.Unauthorized, 1564, "Please log in again to do this."), (refused.Status, refused.Code, refused.Message));
        Assert.Null(await Client.LatestOtpOrNullAsync(thiefsAddress));
        Assert.False(withAGuessedCode.Success, "a code with no change started finishes nothing");
        Assert.True((await Client.PostAsync("token/regenerate", phone.Body(("key", thief.Key)))).Success, "a refused change revokes nothing");
        Assert.Equal(CustomerOf(owner), CustomerOf(await Client.LoginAsync(phone.OnDevice("another"))));
        Assert.NotEqual(CustomerOf(owner), CustomerOf(await Client.LoginAsync(thiefsAddress)));
    }

    [Fact]
    public async Task AChangeARecentLoginStartedFinishesHoweverLongItsCodeTook()
    {
        var phone = TestDevice.NewMobile(TestBrands.Guarded);
        var app = await Client.LoginAsync(phone);
        var moved = TestDevice.NewMobile(TestBrands.Guarded) with { DeviceId = phone.DeviceId };

        var sent = await Client.PostAsync("user/updateIdentifierValue", phone.Body(("token", app.Token), ("newIdentifierValue", moved.IdentifierValue)));
        fixture.Factory.Clock.Advance(TimeSpan.FromMinutes(6));
        var changed = await Client.PostAsync("user/updateIdentifierValue",
            phone.Body(("token", app.Token), ("newIdentifierValue", moved.IdentifierValue), ("otp", await Client.LatestOtpAsync(moved))));

        Assert.Equal("OTP sent to the new identifier value.", sent.Message);
        Assert.True(changed.Success, changed.Body.ToString());
        Assert.Equal(CustomerOf(app), CustomerOf(await Client.LoginAsync(moved)));
    }

    [Fact]
    public async Task WithoutTheSettingAnyLiveTokenStartsAChangeAsTheContractHasIt()
    {
        var phone = TestDevice.NewMobile();
        var app = await Client.LoginAsync(phone);
        var moved = TestDevice.NewMobile() with { DeviceId = phone.DeviceId };
        fixture.Factory.Clock.Advance(TimeSpan.FromMinutes(6));
        var regenerated = await SessionsClient.Ok(Client.PostAsync("token/regenerate", phone.Body(("key", app.Key))));

        var sent = await Client.PostAsync("user/updateIdentifierValue", phone.Body(("token", regenerated.Token), ("newIdentifierValue", moved.IdentifierValue)));

        Assert.Equal((HttpStatusCode.OK, "OTP sent to the new identifier value."), (sent.Status, sent.Message));
    }

    private static string CustomerOf(ApiResponse login) => Jwt.Payload(login.Token!).GetProperty("uid").GetString()!;
}
