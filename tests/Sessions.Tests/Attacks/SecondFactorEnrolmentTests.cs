using System.Net;
using Sessions.Tests.Infrastructure;

namespace Sessions.Tests.Attacks;

/// <summary>
/// A second factor is something the customer proved they hold (API.md §4.2). Holding a customer's first factor does
/// not let an attacker enrol their own e-mail once the customer has done MFA, and opening an MFA session on someone
/// else's not-yet-registered e-mail links nothing: only its OTP does.
/// </summary>
[Collection(AttackCollection.Name)]
public sealed class SecondFactorEnrolmentTests(AttackFixture fixture)
{
    private SessionsClient Client => fixture.Client;

    [Fact]
    public async Task AFirstFactorThiefCannotEnrolTheirOwnEmailOnceTheCustomerDidMfa()
    {
        var phone = TestDevice.NewMobile();
        var victimEmail = TestDevice.NewEmail(deviceId: phone.DeviceId);
        var login = await Client.LoginAsync(phone, ("password", "victim secret 1"), ("confirmPassword", "victim secret 1"));
        await Client.MfaLoginAsync(phone, victimEmail, login);
        var thief = phone.OnDevice("thief-phone");
        var stolen = await Client.LoginAsync(thief, ("password", "victim secret 1"), ("confirmPassword", "victim secret 1"));
        var attackerEmail = TestDevice.NewEmail(deviceId: "thief-phone");

        var opened = await Client.PostAsync("mfa/token/generate", attackerEmail.Body(("authorizedToken", stolen.Token)));

        Assert.Equal("MFA_PENDING", stolen.Role);
        Assert.Equal((HttpStatusCode.BadRequest, 1519), (opened.Status, opened.Code));
        Assert.Equal("Invalid details passed: identifierValue is not a second factor of this customer.", opened.Message);
        Assert.Null(await Client.LatestOtpOrNullAsync(attackerEmail));
        var ownFactor = await Client.PostAsync("mfa/token/generate", victimEmail.OnDevice("thief-phone").Body(("authorizedToken", stolen.Token)));
        Assert.True(ownFactor.Success, "the customer's own second factor still works: " + ownFactor.Body);
    }

    [Fact]
    public async Task OpeningAnMfaSessionOnSomeoneElsesEmailLinksNothing()
    {
        var attacker = TestDevice.NewMobile();
        var attackerLogin = await Client.LoginAsync(attacker);
        var victimEmail = TestDevice.NewEmail(deviceId: attacker.DeviceId);

        await SessionsClient.Ok(Client.PostAsync("mfa/token/generate", victimEmail.Body(("authorizedToken", attackerLogin.Token))));
        var victim = await Client.LoginAsync(victimEmail.OnDevice("victim-phone"));

        Assert.NotEqual(AttackFixture.CustomerOf(attackerLogin), AttackFixture.CustomerOf(victim));
    }

    [Fact]
    public async Task AnEnrolmentThatCompletesAfterTheEmailWasTakenIsRefusedAndTakesNothing()
    {
        var attacker = TestDevice.NewMobile();
        var attackerLogin = await Client.LoginAsync(attacker);
        var email = TestDevice.NewEmail(deviceId: attacker.DeviceId);
        var opened = await SessionsClient.Ok(Client.PostAsync("mfa/token/generate", email.Body(("authorizedToken", attackerLogin.Token))));
        await SessionsClient.Ok(Client.PostAsync("mfa/otp/generate", email.Body(("sessionId", opened.SessionId))));
        var code = await Client.LatestOtpAsync(email);

        var owner = await Client.LoginAsync(email.OnDevice("owner-phone"));
        var enrolled = await Client.PostAsync("mfa/otp/validate", email.Body(("sessionId", opened.SessionId), ("otp", code)));

        Assert.Equal((HttpStatusCode.BadRequest, 1519), (enrolled.Status, enrolled.Code));
        Assert.Equal(AttackFixture.CustomerOf(owner), AttackFixture.CustomerOf(await Client.LoginAsync(email.OnDevice("owner-again"))));
    }

    [Fact]
    public async Task AFirstTimeMfaPasswordDoesNotEnrolAnIdentifierNoOneProved()
    {
        var attacker = TestDevice.NewMobile();
        var attackerLogin = await Client.LoginAsync(attacker);
        var victimEmail = TestDevice.NewEmail(deviceId: attacker.DeviceId);

        var opened = await SessionsClient.Ok(Client.PostAsync("mfa/token/generate", victimEmail.Body(("authorizedToken", attackerLogin.Token), ("password", "attacker mfa 1"), ("confirmPassword", "attacker mfa 1"))));
        var validated = await Client.PostAsync("mfa/password/validate", victimEmail.Body(("sessionId", opened.SessionId), ("password", "attacker mfa 1")));
        var victim = await Client.LoginAsync(victimEmail.OnDevice("victim-phone"));

        Assert.Equal((HttpStatusCode.BadRequest, 1519), (validated.Status, validated.Code));
        Assert.NotEqual(AttackFixture.CustomerOf(attackerLogin), AttackFixture.CustomerOf(victim));
    }

    [Fact]
    public async Task TwoFirstEnrolmentsAtOnceEnrolExactlyOne()
    {
        var phone = TestDevice.NewMobile();
        var login = await Client.LoginAsync(phone);
        var emails = new[] { TestDevice.NewEmail(deviceId: phone.DeviceId), TestDevice.NewEmail(deviceId: phone.DeviceId) };
        var sessions = new List<(TestDevice Email, string SessionId, string Otp)>();
        foreach (var email in emails)
        {
            var opened = await SessionsClient.Ok(Client.PostAsync("mfa/token/generate", email.Body(("authorizedToken", login.Token))));
            await SessionsClient.Ok(Client.PostAsync("mfa/otp/generate", email.Body(("sessionId", opened.SessionId))));
            sessions.Add((email, opened.SessionId!, await Client.LatestOtpAsync(email)));
        }

        var answers = await Task.WhenAll(sessions.Select(s => Client.PostAsync("mfa/otp/validate", s.Email.Body(("sessionId", s.SessionId), ("otp", s.Otp)))));

        Assert.Equal(1, answers.Count(a => a.Success));
        Assert.Equal(1, answers.Count(a => a.Code == 1519));
        var loser = sessions[Array.FindIndex(answers, a => !a.Success)].Email;
        var again = await Client.LoginAsync(phone.OnDevice("later"));
        var loserAsFactor = await Client.PostAsync("mfa/token/generate", loser.OnDevice("later").Body(("authorizedToken", again.Token)));
        Assert.Equal(1519, loserAsFactor.Code);
    }
}
