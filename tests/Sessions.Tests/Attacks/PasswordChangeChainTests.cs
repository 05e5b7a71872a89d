using Sessions.Tests.Infrastructure;

namespace Sessions.Tests.Attacks;

/// <summary>
/// A password change keeps only the login chain it was made from (its family, the one that authorised it, the ones it
/// authorised). A device id is the client's word: an attacker who logs in under another of the customer's identifiers
/// with the victim's device id (it is in every token's <c>dev</c>) is logged out like any other device.
/// </summary>
[Collection(AttackCollection.Name)]
public sealed class PasswordChangeChainTests(AttackFixture fixture)
{
    private const string Password = "victim secret 1";
    private SessionsClient Client => fixture.Client;

    [Fact]
    public async Task AnAttackerOnTheVictimsDeviceIdUnderAnotherIdentifierIsLoggedOutByAPasswordChange()
    {
        var phone = TestDevice.NewMobile();
        var email = TestDevice.NewEmail(deviceId: phone.DeviceId);
        var login = await Client.LoginAsync(phone, ("password", Password), ("confirmPassword", Password));
        var mfa = await Client.MfaLoginAsync(phone, email, login);
        // The attacker holds the victim's e-mail (its OTPs) and claims the victim's device id.
        var attacker = await Client.LoginAsync(email);
        var elsewhere = await Client.LoginAsync(email.OnDevice("attacker-phone"));

        await SessionsClient.Ok(Client.PostAsync("password/change", email.Body(("token", mfa.Token), ("password", Password), ("newPassword", "victim secret 2"), ("confirmPassword", "victim secret 2"))));

        Assert.Equal(1597, (await Client.PostAsync("token/regenerate", email.Body(("key", attacker.Key)))).Code);
        Assert.Equal(1597, (await Client.PostAsync("token/regenerate", email.OnDevice("attacker-phone").Body(("key", elsewhere.Key)))).Code);
        Assert.True((await Client.PostAsync("mfa/token/regenerate", email.Body(("key", mfa.Key)))).Success, "the victim's MFA key stays");
        Assert.True((await Client.PostAsync("token/regenerate", phone.Body(("key", login.Key)))).Success, "so does the first factor that authorised it");
    }
}
