using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;
using Sessions.Tests.Infrastructure;

namespace Sessions.Tests.Api;

/// <summary>
/// The customer's signed-in devices (README, "Signed-in devices"): the list of their live sessions on every device and
/// browser, signing one out, and signing out all but this login. Signing out anything but the caller's own family
/// needs a login of the last RecentLoginMinutes (5), and a refused call revokes nothing.
/// </summary>
[Collection(ApiCollection.Name)]
public sealed class SignedInDevicesTests(ApiFixture fixture)
{
    private SessionsClient Client => fixture.Client;

    [Fact]
    public async Task TheListShowsEveryDeviceAndBrowserOfTheCustomerAndMarksTheCallersFamily()
    {
        var phone = TestDevice.NewMobile();
        var app = await Client.LoginAsync(phone);
        var tablet = await Client.LoginAsync(phone.OnDevice("tablet"));
        var web = await Client.WebLoginAsync(phone.OnDevice(null));
        var stranger = await Client.LoginAsync(TestDevice.NewMobile());

        var listed = await Client.PostAsync("user/sessions", phone.Body(("token", app.Token)));

        Assert.Equal(HttpStatusCode.OK, listed.Status);
        Assert.True(listed.Success, listed.Body.ToString());
        var sessions = Sessions(listed);
        Assert.Equal(new[] { phone.DeviceId, "tablet", null }.Order(), sessions.Select(s => s.DeviceId).Order());
        Assert.All(sessions, s => Assert.Equal(("MOBILE", MaskedPhone(phone)), (s.IdentifierType, s.IdentifierValue)));
        var families = sessions.SelectMany(s => s.Families).ToList();
        Assert.Equal(new[] { FamilyOf(app), FamilyOf(tablet), FamilyOf(web) }.Order(), families.Select(f => f.FamilyId).Order());
        Assert.Equal(FamilyOf(app), Assert.Single(families, f => f.Current).FamilyId);
        Assert.Equal("WEB", Assert.Single(families, f => f.FamilyId == FamilyOf(web)).Flow);
        Assert.DoesNotContain(FamilyOf(stranger), families.Select(f => f.FamilyId));
        Assert.DoesNotContain(phone.IdentifierValue, listed.Body.ToString());
    }

    [Fact]
    public async Task ABrowserListsTheSameSessionsWithItsWebToken()
    {
        var phone = TestDevice.NewMobile();
        var app = await Client.LoginAsync(phone);
        var web = await Client.WebLoginAsync(phone.OnDevice(null));

        var listed = await Client.PostFromAsync(TestBrands.DemoWebsite, "user/sessions", phone.OnDevice(null).Body(("token", web.Token)));

        Assert.True(listed.Success, listed.Body.ToString());
        var families = Sessions(listed).SelectMany(s => s.Families).ToList();
        Assert.Equal(new[] { FamilyOf(app), FamilyOf(web) }.Order(), families.Select(f => f.FamilyId).Order());
        Assert.Equal(FamilyOf(web), Assert.Single(families, f => f.Current).FamilyId);
    }

    [Fact]
    public async Task SigningAnotherDeviceOutEndsItsKeyAndKeepsThisOne()
    {
        var phone = TestDevice.NewMobile();
        var app = await Client.LoginAsync(phone);
        var tablet = await Client.LoginAsync(phone.OnDevice("tablet"));

        var signedOut = await Client.PostAsync("user/sessions/revoke", phone.Body(("token", app.Token), ("familyId", FamilyOf(tablet))));
        var tabletKey = await Client.PostAsync("token/regenerate", phone.OnDevice("tablet").Body(("key", tablet.Key)));
        var phoneKey = await Client.PostAsync("token/regenerate", phone.Body(("key", app.Key)));
        var listed = await Client.PostAsync("user/sessions", phone.Body(("token", app.Token)));

        Assert.True(signedOut.Success, signedOut.Body.ToString());
        Assert.Equal(1, signedOut.Body.GetProperty("revoked").GetInt32());
        Assert.Equal((HttpStatusCode.Unauthorized, 1597), (tabletKey.Status, tabletKey.Code));
        Assert.True(phoneKey.Success, phoneKey.Body.ToString());
        Assert.Equal([phone.DeviceId], Sessions(listed).Select(s => s.DeviceId));
    }

    [Fact]
    public async Task SigningOthersOutKeepsOnlyThisLoginChain()
    {
        var phone = TestDevice.NewMobile();
        var email = TestDevice.NewEmail(deviceId: phone.DeviceId);
        var app = await Client.LoginAsync(phone);
        var mfa = await Client.MfaLoginAsync(phone, email, app);
        var tablet = await Client.LoginAsync(phone.OnDevice("tablet"));
        var tabletMfa = await Client.MfaLoginAsync(phone.OnDevice("tablet"), email.OnDevice("tablet"), tablet);
        var web = await Client.WebLoginAsync(phone.OnDevice(null));

        var signedOut = await Client.PostAsync("user/sessions/revokeOthers", email.Body(("token", mfa.Token)));

        Assert.True(signedOut.Success, signedOut.Body.ToString());
        Assert.Equal(3, signedOut.Body.GetProperty("revoked").GetInt32());
        Assert.True((await Client.PostAsync("mfa/token/regenerate", email.Body(("key", mfa.Key)))).Success, "this login's MFA key");
        Assert.True((await Client.PostAsync("token/regenerate", phone.Body(("key", app.Key)))).Success, "the first factor that authorised it");
        Assert.Equal(1597, (await Client.PostAsync("token/regenerate", phone.OnDevice("tablet").Body(("key", tablet.Key)))).Code);
        Assert.Equal(1597, (await Client.PostAsync("mfa/token/regenerate", email.OnDevice("tablet").Body(("key", tabletMfa.Key)))).Code);
        Assert.Equal(1597, (await Client.PostAsync("web/token/regenerate", phone.OnDevice(null).Body(("expiredToken", web.Token)))).Code);
    }

    [Fact]
    public async Task AStolenKeyCannotSignItsOwnerOutButAFreshLoginCan()
    {
        var phone = TestDevice.NewMobile(TestBrands.NoRotation);
        var owner = await Client.LoginAsync(phone);
        var tablet = await Client.LoginAsync(phone.OnDevice("tablet"));
        fixture.Factory.Clock.Advance(TimeSpan.FromMinutes(6));
        // The thief holds a copy of the phone's key: it regenerates as well as the owner's app does.
        var thief = await SessionsClient.Ok(Client.PostAsync("token/regenerate", phone.Body(("key", owner.Key))));

        var others = await Client.PostAsync("user/sessions/revokeOthers", phone.Body(("token", thief.Token)));
        var one = await Client.PostAsync("user/sessions/revoke", phone.Body(("token", thief.Token), ("familyId", FamilyOf(tablet))));
        var listed = await Client.PostAsync("user/sessions", phone.Body(("token", thief.Token)));
        var tabletKey = await Client.PostAsync("token/regenerate", phone.OnDevice("tablet").Body(("key", tablet.Key)));

        Assert.Equal((HttpStatusCode.Unauthorized, 1564, "Please log in again to do this."), (others.Status, others.Code, others.Message));
        Assert.Equal((HttpStatusCode.Unauthorized, 1564), (one.Status, one.Code));
        Assert.True(listed.Success, "listing needs no recent login");
        Assert.True(tabletKey.Success, "a refused sign-out revokes nothing");

        var again = await Client.LoginAsync(phone);
        var signedOut = await Client.PostAsync("user/sessions/revokeOthers", phone.Body(("token", again.Token)));
        Assert.True(signedOut.Success, signedOut.Body.ToString());
        Assert.Equal(1597, (await Client.PostAsync("token/regenerate", phone.OnDevice("tablet").Body(("key", tablet.Key)))).Code);
    }

    [Fact]
    public async Task SigningTheCallersOwnFamilyOutIsALogoutAndNeedsNoRecentLogin()
    {
        var phone = TestDevice.NewMobile();
        var app = await Client.LoginAsync(phone);
        fixture.Factory.Clock.Advance(TimeSpan.FromMinutes(6));

        var signedOut = await Client.PostAsync("user/sessions/revoke", phone.Body(("token", app.Token), ("familyId", FamilyOf(app))));
        var key = await Client.PostAsync("token/regenerate", phone.Body(("key", app.Key)));
        var listed = await Client.PostAsync("user/sessions", phone.Body(("token", app.Token)));

        Assert.True(signedOut.Success, signedOut.Body.ToString());
        Assert.Equal(1597, key.Code);
        Assert.Equal((HttpStatusCode.Unauthorized, 1596), (listed.Status, listed.Code));
    }

    [Fact]
    public async Task ATokenOfADeadFamilyListsAndSignsOutNothing()
    {
        var phone = TestDevice.NewMobile();
        var app = await Client.LoginAsync(phone);
        var tablet = await Client.LoginAsync(phone.OnDevice("tablet"));
        var replaced = await Client.LoginAsync(phone);

        var listed = await Client.PostAsync("user/sessions", phone.Body(("token", app.Token)));
        var one = await Client.PostAsync("user/sessions/revoke", phone.Body(("token", app.Token), ("familyId", FamilyOf(tablet))));
        var others = await Client.PostAsync("user/sessions/revokeOthers", phone.Body(("token", app.Token)));

        Assert.Equal([1596, 1596, 1596], new[] { listed.Code, one.Code, others.Code });
        Assert.True((await Client.PostAsync("token/regenerate", phone.OnDevice("tablet").Body(("key", tablet.Key)))).Success);
        Assert.True((await Client.PostAsync("token/regenerate", phone.Body(("key", replaced.Key)))).Success);
    }

    [Fact]
    public async Task AnotherCustomersFamilyOrAnotherDevicesTokenSignsNothingOut()
    {
        var phone = TestDevice.NewMobile();
        var app = await Client.LoginAsync(phone);
        var victim = TestDevice.NewMobile();
        var victimLogin = await Client.LoginAsync(victim);

        var foreignFamily = await Client.PostAsync("user/sessions/revoke", phone.Body(("token", app.Token), ("familyId", FamilyOf(victimLogin))));
        var victimsDevice = await Client.PostAsync("user/sessions/revokeOthers", phone.OnDevice(victim.DeviceId).Body(("token", app.Token)));
        var victimsIdentifier = await Client.PostAsync("user/sessions/revokeOthers", victim.OnDevice(phone.DeviceId).Body(("token", app.Token)));
        var keyAsToken = await Client.PostAsync("user/sessions", phone.Body(("token", app.Key)));

        Assert.Equal((HttpStatusCode.BadRequest, 1519), (foreignFamily.Status, foreignFamily.Code));
        Assert.Contains("familyId is not a live session of this customer", foreignFamily.Message);
        Assert.Equal(1508, victimsDevice.Code);
        Assert.Equal(1507, victimsIdentifier.Code);
        Assert.Equal(1596, keyAsToken.Code);
        Assert.True((await Client.PostAsync("token/regenerate", victim.Body(("key", victimLogin.Key)))).Success, "the victim's family lives");
    }

    [Theory]
    [InlineData("missing")]
    [InlineData("empty")]
    [InlineData("number")]
    [InlineData("too long")]
    [InlineData("bidi override")]
    public async Task HostileFamilyIdsAreRefusedWithTheFieldNamed(string kind)
    {
        var phone = TestDevice.NewMobile();
        var app = await Client.LoginAsync(phone);
        var tablet = await Client.LoginAsync(phone.OnDevice("tablet"));
        var body = phone.Body(("token", app.Token));
        JsonNode? familyId = kind switch
        {
            "missing" => null,
            "empty" => "",
            "number" => 42,
            "too long" => new string('a', 65),
            "bidi override" => "\u202e" + FamilyOf(tablet),
            _ => null,
        };
        if (kind != "missing")
        {
            body["familyId"] = familyId;
        }

        var answer = await Client.PostAsync("user/sessions/revoke", body);

        Assert.Equal((HttpStatusCode.BadRequest, 1519), (answer.Status, answer.Code));
        Assert.True((await Client.PostAsync("token/regenerate", phone.OnDevice("tablet").Body(("key", tablet.Key)))).Success, "nothing was revoked");
    }

    [Fact]
    public async Task ABurstOfSignOutsRevokesEachOtherFamilyOnceAndKeepsTheCaller()
    {
        var phone = TestDevice.NewMobile();
        var app = await Client.LoginAsync(phone);
        var others = new List<(TestDevice Device, ApiResponse Login)>();
        foreach (var device in new[] { "tablet", "laptop", "watch" })
        {
            others.Add((phone.OnDevice(device), await Client.LoginAsync(phone.OnDevice(device))));
        }

        var burst = await Task.WhenAll(Enumerable.Range(0, 20).Select(_ => Client.PostAsync("user/sessions/revokeOthers", phone.Body(("token", app.Token)))));

        Assert.All(burst, answer => Assert.True(answer.Success, answer.Body.ToString()));
        Assert.Equal(3, burst.Sum(answer => answer.Body.GetProperty("revoked").GetInt32()));
        foreach (var (device, login) in others)
        {
            Assert.Equal(1597, (await Client.PostAsync("token/regenerate", device.Body(("key", login.Key)))).Code);
        }
        Assert.True((await Client.PostAsync("token/regenerate", phone.Body(("key", app.Key)))).Success);
    }

    [Theory]
    [InlineData("user/sessions/revokeOthers")]
    [InlineData("user/sessions/revoke")]
    public async Task TwoDevicesSigningEachOtherOutAtOnceLeaveOneSignedIn(string endpoint)
    {
        // Two devices of each customer sign each other out in the same instant: as one after the other, the first wins
        // and the second finds its own login gone. Both succeeding would tell each device it stayed while both are out.
        var customers = await Task.WhenAll(Enumerable.Range(0, 12).Select(async _ =>
        {
            var phone = TestDevice.NewMobile();
            var tablet = phone.OnDevice("tablet");
            return (Phone: phone, PhoneLogin: await Client.LoginAsync(phone), Tablet: tablet, TabletLogin: await Client.LoginAsync(tablet));
        }));

        var races = await Task.WhenAll(customers.Select(async c =>
        {
            var answers = await Task.WhenAll(
                Client.PostAsync(endpoint, c.Phone.Body(("token", c.PhoneLogin.Token), ("familyId", FamilyOf(c.TabletLogin)))),
                Client.PostAsync(endpoint, c.Tablet.Body(("token", c.TabletLogin.Token), ("familyId", FamilyOf(c.PhoneLogin)))));
            return (Customer: c, Phone: answers[0], Tablet: answers[1]);
        }));

        foreach (var (c, phone, tablet) in races)
        {
            var (winner, winnerLogin, loser, loserLogin) = phone.Success
                ? (c.Phone, c.PhoneLogin, c.Tablet, c.TabletLogin)
                : (c.Tablet, c.TabletLogin, c.Phone, c.PhoneLogin);
            var refused = phone.Success ? tablet : phone;
            Assert.True(phone.Success ^ tablet.Success, $"exactly one sign-out succeeds: phone {phone.Body}, tablet {tablet.Body}");
            Assert.Equal(1, (phone.Success ? phone : tablet).Body.GetProperty("revoked").GetInt32());
            Assert.Equal((HttpStatusCode.Unauthorized, 1596), (refused.Status, refused.Code));
            Assert.True((await Client.PostAsync("token/regenerate", winner.Body(("key", winnerLogin.Key)))).Success, "the winner stays signed in");
            Assert.Equal(1597, (await Client.PostAsync("token/regenerate", loser.Body(("key", loserLogin.Key)))).Code);
        }
    }

    private static string FamilyOf(ApiResponse login) => Jwt.Payload(login.Token!).GetProperty("sid").GetString()!;

    private static string MaskedPhone(TestDevice phone) => new string('*', phone.IdentifierValue.Length - 3) + phone.IdentifierValue[^3..];

    private static List<ListedSession> Sessions(ApiResponse listed) =>
        [.. listed.Body.GetProperty("sessions").EnumerateArray().Select(s => new ListedSession(
            s.GetProperty("identifierType").GetString()!,
            s.GetProperty("identifierValue").GetString()!,
            s.GetProperty("deviceId").GetString(),
            [.. s.GetProperty("families").EnumerateArray().Select(f => new ListedFamily(
                f.GetProperty("familyId").GetString()!, f.GetProperty("flow").GetString()!, f.GetProperty("current").GetBoolean()))]))];

    private sealed record ListedSession(string IdentifierType, string IdentifierValue, string? DeviceId, List<ListedFamily> Families);

    private sealed record ListedFamily(string FamilyId, string Flow, bool Current);
}
