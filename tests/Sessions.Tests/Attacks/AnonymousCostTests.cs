using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Sessions.Grains.Passwords;
using Sessions.Tests.Infrastructure;

namespace Sessions.Tests.Attacks;

/// <summary>
/// Unauthenticated calls are cheap (API.md §7): no password is hashed or verified before the call's cheap checks pass,
/// a first-time password waits sealed until its session completes, and hashing runs on a bounded pool that answers 429
/// when full, with nothing consumed, rather than queueing.
/// </summary>
[Collection(AttackCollection.Name)]
public sealed class AnonymousCostTests(AttackFixture fixture)
{
    private SessionsClient Client => fixture.Client;

    [Fact]
    public async Task PasswordBearingCallsWithNoValidSessionHashNothing()
    {
        var before = fixture.PasswordWorkRan;
        var answers = new List<ApiResponse>();
        for (var i = 0; i < 10; i++)
        {
            var device = TestDevice.NewMobile();
            var bogus = "P-" + Guid.NewGuid();
            answers.Add(await Client.PostAsync("password/forget", device.Body(("sessionId", bogus), ("otp", "123456"), ("password", "attacker pass 1"), ("confirmPassword", "attacker pass 1"))));
            answers.Add(await Client.PostAsync("password/validate", device.Body(("sessionId", bogus), ("password", "attacker pass 1"))));
            answers.Add(await Client.PostAsync("mfa/password/validate", device.Body(("sessionId", bogus), ("password", "attacker pass 1"))));
            answers.Add(await Client.PostAsync("mfa/password/forget", device.Body(("sessionId", bogus), ("otp", "123456"), ("password", "attacker pass 1"), ("confirmPassword", "attacker pass 1"))));
            answers.Add(await Client.PostAsync("token/generate", device.Body(("password", "first pass 12"), ("confirmPassword", "first pass 12"))));
        }

        Assert.Equal(before, fixture.PasswordWorkRan);
        Assert.All(answers.Where(a => !a.Success), a => Assert.Equal((HttpStatusCode.Unauthorized, 1505), (a.Status, a.Code)));
        Assert.Equal(10, answers.Count(a => a.Success));
    }

    [Fact]
    public async Task AFirstTimePasswordIsHashedOnlyWhenItsOtpValidates()
    {
        var device = TestDevice.NewMobile();
        var before = fixture.PasswordWorkRan;
        var sessionId = await Client.StartLoginAsync(device, ("password", "first pass 12"), ("confirmPassword", "first pass 12"));
        var beforeOtp = fixture.PasswordWorkRan;
        await SessionsClient.Ok(Client.PostAsync("otp/validate", device.Body(("sessionId", sessionId), ("otp", await Client.LatestOtpAsync(device)))));

        Assert.Equal(before, beforeOtp);
        Assert.Equal(before + 1, fixture.PasswordWorkRan);
    }

    [Fact]
    public async Task AFullHashingPoolAnswers429WithRetryAfterAndConsumesNothing()
    {
        await using var factory = new ApiFactory(settings: new()
        {
            ["Sessions:PasswordHashing:MaxConcurrency"] = "1",
            [$"Sessions:Brands:{TestBrands.Demo}:MaxOpenLogins"] = "100",
        });
        var client = factory.CreateSessionsClient();
        var customers = new List<(TestDevice Device, string SessionId)>();
        for (var i = 0; i < 12; i++)
        {
            var device = TestDevice.NewMobile();
            await client.LoginAsync(device, ("password", "right secret 1"), ("confirmPassword", "right secret 1"));
            customers.Add((device, (await SessionsClient.Ok(client.PostAsync("token/generate", device.OnDevice("again").Body()))).SessionId!));
        }

        var burst = await Task.WhenAll(customers.Select(c => client.PostAsync("password/validate", c.Device.OnDevice("again").Body(("sessionId", c.SessionId), ("password", "right secret 1")))));
        var refused = customers.Where((_, i) => burst[i].Status == HttpStatusCode.TooManyRequests).ToList();
        var retried = new List<ApiResponse>();
        foreach (var (device, sessionId) in refused)
        {
            retried.Add(await client.PostAsync("password/validate", device.OnDevice("again").Body(("sessionId", sessionId), ("password", "right secret 1"))));
        }

        Assert.NotEmpty(refused);
        Assert.True(factory.Services.GetRequiredService<PasswordWork>().Refused >= refused.Count);
        Assert.All(burst, a => Assert.True(a.Success || a.Status == HttpStatusCode.TooManyRequests, a.Body.ToString()));
        Assert.All(burst.Where(a => !a.Success), a => Assert.NotNull(a.Raw.Headers.RetryAfter));
        Assert.All(retried, a => Assert.True(a.Success, "the refused session, its attempts and the identifier's count are as they were: " + a.Body));
    }
}
