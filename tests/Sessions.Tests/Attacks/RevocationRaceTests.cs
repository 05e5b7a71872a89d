using Sessions.Tests.Infrastructure;

namespace Sessions.Tests.Attacks;

/// <summary>
/// "Log out everywhere" cannot be outrun: a login that completes while an administrator revokes every family of the
/// customer either dies with them or stays on the customer's list, so the next revocation (or password change) finds it.
/// </summary>
[Collection(AttackCollection.Name)]
public sealed class RevocationRaceTests(AttackFixture fixture)
{
    private SessionsClient Client => fixture.Client;

    [Fact]
    public async Task ALoginRacingARevokeAllIsRevokedByItOrByTheNextOne()
    {
        for (var round = 0; round < 20; round++)
        {
            var phone = TestDevice.NewMobile();
            var first = await Client.LoginAsync(phone);
            var customerId = AttackFixture.CustomerOf(first);
            var racer = phone.OnDevice($"racer-{round}");
            var sessionId = await Client.StartLoginAsync(racer);
            var otp = await Client.LatestOtpAsync(racer);

            var login = Client.PostAsync("otp/validate", racer.Body(("sessionId", sessionId), ("otp", otp)));
            var revoked = fixture.RevokeAllAsync(customerId);
            await Task.WhenAll(login, revoked);
            await fixture.RevokeAllAsync(customerId);

            Assert.Equal(1597, (await Client.PostAsync("token/regenerate", phone.Body(("key", first.Key)))).Code);
            if ((await login).Success)
            {
                var raced = await Client.PostAsync("token/regenerate", racer.Body(("key", (await login).Key)));
                Assert.True(raced.Code == 1597, $"round {round}: a login that raced the revocation survived both: {raced.Body}");
            }
        }
    }
}
