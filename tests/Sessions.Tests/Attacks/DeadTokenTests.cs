using System.Net;
using Sessions.Tests.Infrastructure;

namespace Sessions.Tests.Attacks;

/// <summary>
/// A token authorises an action only while its family lives (API.md §3). After a logout, a revoke-all, a password
/// change elsewhere or reuse detection, a thief holding the token can change nothing: not the identifier (which
/// would take the account over), not the password, and it cannot open or finish an MFA session.
/// </summary>
[Collection(AttackCollection.Name)]
public sealed class DeadTokenTests(AttackFixture fixture)
{
    private const string Password = "victim secret 1";
    private SessionsClient Client => fixture.Client;

    public static TheoryData<string> Deaths() => ["logout", "revoke-all", "password-changed-elsewhere", "reuse-detected"];

    [Theory]
    [MemberData(nameof(Deaths))]
    public async Task ADeadTokenCannotMoveTheCustomerToAnAttackersValue(string death)
    {
        var (phone, mfa) = await VictimAsync();
        await KillAsync(death, phone, mfa);
        var attackers = TestDevice.NewMobile() with { DeviceId = phone.DeviceId };

        var asked = await Client.PostAsync("user/updateIdentifierValue", phone.Body(("token", mfa.Token), ("newIdentifierValue", attackers.IdentifierValue)));
        var guessed = await Client.PostAsync("user/updateIdentifierValue", phone.Body(("token", mfa.Token), ("newIdentifierValue", attackers.IdentifierValue), ("otp", "123456")));
        var sentToAttacker = await Client.LatestOtpOrNullAsync(attackers);
        var victimAgain = await Client.LoginAsync(phone.OnDevice("victim-again"), ("password", Password), ("confirmPassword", Password));
        var attackerLogin = await Client.LoginAsync(attackers.OnDevice("attacker"));

        Assert.Equal((HttpStatusCode.Unauthorized, 1596), (asked.Status, asked.Code));
        Assert.Equal((HttpStatusCode.Unauthorized, 1596), (guessed.Status, guessed.Code));
        Assert.Null(sentToAttacker);
        Assert.Equal(AttackFixture.CustomerOf(mfa), AttackFixture.CustomerOf(victimAgain));
        Assert.NotEqual(AttackFixture.CustomerOf(mfa), AttackFixture.CustomerOf(attackerLogin));
    }

    [Theory]
    [MemberData(nameof(Deaths))]
    public async Task ADeadTokenCannotChangeThePassword(string death)
    {
        var (phone, mfa) = await VictimAsync();
        await KillAsync(death, phone, mfa);

        var changed = await Client.PostAsync("password/change", phone.Body(("token", mfa.Token), ("password", Password), ("newPassword", "attacker pass 1"), ("confirmPassword", "attacker pass 1")));
        var opened = await SessionsClient.Ok(Client.PostAsync("token/generate", phone.OnDevice("victim-again").Body()));
        var oldPassword = await Client.PostAsync("password/validate", phone.OnDevice("victim-again").Body(("sessionId", opened.SessionId), ("password", Password)));

        Assert.Equal((HttpStatusCode.Unauthorized, 1596), (changed.Status, changed.Code));
        Assert.True(oldPassword.Success, "the victim's password is unchanged: " + oldPassword.Body);
    }

    [Fact]
    public async Task AFirstFactorTokenOfARevokedCustomerOpensNoMfaSession()
    {
        var (phone, mfa) = await VictimAsync();
        var stolen = await Client.LoginAsync(phone.OnDevice("thief"), ("password", Password), ("confirmPassword", Password));
        Assert.Equal("MFA_PENDING", stolen.Role);

        await fixture.RevokeAllAsync(AttackFixture.CustomerOf(mfa));
        var opened = await Client.PostAsync("mfa/token/generate", phone.OnDevice("thief").Body(("authorizedToken", stolen.Token)));

        Assert.Equal((HttpStatusCode.Unauthorized, 1596), (opened.Status, opened.Code));
    }

    [Fact]
    public async Task AnMfaSessionOpenedBeforeARevocationCannotFinishAfterIt()
    {
        var (phone, mfa) = await VictimAsync();
        var stolen = await Client.LoginAsync(phone.OnDevice("thief"), ("password", Password), ("confirmPassword", Password));
        var thief = phone.OnDevice("thief");
        var opened = await SessionsClient.Ok(Client.PostAsync("mfa/token/generate", thief.Body(("authorizedToken", stolen.Token))));

        await fixture.RevokeAllAsync(AttackFixture.CustomerOf(mfa));
        var withPassword = await Client.PostAsync("mfa/password/validate", thief.Body(("sessionId", opened.SessionId), ("password", "mfa secret 1")));

        Assert.Equal((HttpStatusCode.Unauthorized, 1505), (withPassword.Status, withPassword.Code));
        Assert.False(withPassword.Body.TryGetProperty("auth", out var auth) && auth.GetProperty("token").ValueKind == System.Text.Json.JsonValueKind.String);
    }

    /// <summary>A customer with a password, an MFA password and an MFA family on <c>phone</c>: the MFA answer.</summary>
    private async Task<(TestDevice Phone, ApiResponse Mfa)> VictimAsync()
    {
        var phone = TestDevice.NewMobile();
        var login = await Client.LoginAsync(phone, ("password", Password), ("confirmPassword", Password));
        var setup = await SessionsClient.Ok(Client.PostAsync("mfa/token/generate", phone.Body(("authorizedToken", login.Token), ("password", "mfa secret 1"), ("confirmPassword", "mfa secret 1"))));
        await SessionsClient.Ok(Client.PostAsync("mfa/otp/generate", phone.Body(("sessionId", setup.SessionId))));
        var mfa = await SessionsClient.Ok(Client.PostAsync("mfa/otp/validate", phone.Body(("sessionId", setup.SessionId), ("otp", await Client.LatestOtpAsync(phone)))));
        return (phone, mfa);
    }

    private async Task KillAsync(string death, TestDevice phone, ApiResponse mfa)
    {
        switch (death)
        {
            case "logout":
                await SessionsClient.Ok(Client.PostAsync("mfa/token/expire", phone.Body(("token", mfa.Token))));
                break;
            case "revoke-all":
                await fixture.RevokeAllAsync(AttackFixture.CustomerOf(mfa));
                break;
            case "password-changed-elsewhere":
                var tablet = phone.OnDevice("tablet");
                var tabletLogin = await Client.LoginAsync(tablet, ("password", Password), ("confirmPassword", Password));
                var tabletMfa = await Client.MfaLoginAsync(tablet, tablet, tabletLogin);
                await SessionsClient.Ok(Client.PostAsync("password/change", tablet.Body(("token", tabletMfa.Token), ("password", Password), ("newPassword", "tablet secret 2"), ("confirmPassword", "tablet secret 2"))));
                // And back, so the theory's later steps can use the one password they know.
                await SessionsClient.Ok(Client.PostAsync("password/change", tablet.Body(("token", tabletMfa.Token), ("password", "tablet secret 2"), ("newPassword", Password), ("confirmPassword", Password))));
                break;
            case "reuse-detected":
                var next = await SessionsClient.Ok(Client.PostAsync("mfa/token/regenerate", phone.Body(("key", mfa.Key))));
                await SessionsClient.Ok(Client.PostAsync("mfa/token/regenerate", phone.Body(("key", next.Key))));
                var replay = await Client.PostAsync("mfa/token/regenerate", phone.Body(("key", mfa.Key)));
                Assert.Equal(1525, replay.Code);
                break;
        }
        var dead = await Client.PostAsync("mfa/token/regenerate", phone.Body(("key", mfa.Key)));
        Assert.True(dead.Code is 1597 or 1525, $"{death} must kill the family: {dead.Body}");
    }
}
