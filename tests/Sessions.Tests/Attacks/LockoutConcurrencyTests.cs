using System.Diagnostics;
using System.Net;
using Sessions.Tests.Infrastructure;

namespace Sessions.Tests.Attacks;

/// <summary>
/// The identifier lock is exact under concurrency (API.md §7): a guess counts from the moment it is checked, so a
/// burst of parallel guesses on any number of device sessions gets at most Lockout.MaxFailures evaluations (ZITADEL's
/// GHSA-7h8m-vrxx-vr4m is the failure this prevents), with or without the right answer in the burst, for passwords
/// and OTPs; and a burst on one customer does not stall another's login.
/// </summary>
[Collection(AttackCollection.Name)]
public sealed class LockoutConcurrencyTests(AttackFixture fixture)
{
    private const int MaxFailures = 10;
    private const string Password = "right secret 1";
    private SessionsClient Client => fixture.Client;

    [Fact]
    public async Task FortyParallelWrongPasswordsOnFortyDeviceSessionsGetAtMostTheLimitEvaluated()
    {
        var (phone, sessions) = await CustomerWithSessionsAsync(40);
        var ranBefore = fixture.PasswordWorkRan;

        var answers = await Task.WhenAll(sessions.Select((session, i) =>
            Client.PostAsync("password/validate", phone.OnDevice($"burst-{i}").Body(("sessionId", session), ("password", $"wrong guess {i}")))));

        var evaluated = fixture.PasswordWorkRan - ranBefore;
        Assert.InRange(evaluated, 1, MaxFailures);
        Assert.All(answers, a => Assert.Contains(a.Code, new[] { 1528, 1550 }));
        Assert.InRange(answers.Count(a => a.Code == 1528), 0, MaxFailures);
        Assert.True(await IsLockedAsync(phone), "the burst used up the failures: the identifier is locked");
    }

    [Fact]
    public async Task ARightPasswordInsideTheBurstSucceedsOnlyIfItWasAmongTheEvaluated()
    {
        var (phone, sessions) = await CustomerWithSessionsAsync(40);
        var right = Random.Shared.Next(sessions.Count);
        var ranBefore = fixture.PasswordWorkRan;

        var answers = await Task.WhenAll(sessions.Select((session, i) =>
            Client.PostAsync("password/validate", phone.OnDevice($"burst-{i}").Body(("sessionId", session), ("password", i == right ? Password : $"wrong guess {i}")))));

        var succeeded = answers.Count(a => a.Success);
        Assert.InRange(succeeded, 0, 1);
        Assert.All(answers.Where((_, i) => i != right), a => Assert.False(a.Success));
        // The right password, once evaluated, clears the failures counted so far (it is the customer's), so the checks
        // admitted after it count afresh: at most MaxFailures checks admitted on either side of it.
        var bound = succeeded == 1 ? 2 * MaxFailures : MaxFailures;
        Assert.InRange(fixture.PasswordWorkRan - ranBefore, 1, bound);
        Assert.InRange(answers.Count(a => a.Code == 1528), 0, bound - succeeded);
    }

    [Fact]
    public async Task ParallelWrongOtpsOnManyDeviceSessionsGetAtMostTheLimitEvaluated()
    {
        var phone = TestDevice.NewMobile();
        var sessions = new List<(TestDevice Device, string SessionId, string Otp)>();
        for (var i = 0; i < 4; i++)
        {
            // Four devices, five sends: within the default send window.
            var device = phone.OnDevice($"otp-burst-{i}");
            var sessionId = await Client.StartLoginAsync(device);
            sessions.Add((device, sessionId, await Client.LatestOtpAsync(device)));
        }

        // Four wrong codes per session: under the per-session limit of five, so only the identifier's limit can stop them.
        var answers = await Task.WhenAll(sessions.SelectMany(s => Enumerable.Range(0, 4).Select(_ =>
            Client.PostAsync("otp/validate", s.Device.Body(("sessionId", s.SessionId), ("otp", SessionsClient.WrongOtp(s.Otp)))))));
        var rightAfter = await Client.PostAsync("otp/validate", sessions[0].Device.Body(("sessionId", sessions[0].SessionId), ("otp", sessions[0].Otp)));

        Assert.InRange(answers.Count(a => a.Code == 1506), 1, MaxFailures - 1);
        Assert.Equal(16, answers.Count(a => a.Code is 1506 or 1550));
        Assert.Equal((HttpStatusCode.Locked, 1550), (rightAfter.Status, rightAfter.Code));
    }

    [Fact]
    public async Task ABurstOnOneCustomerDoesNotStallAnotherCustomersLogin()
    {
        var (phone, sessions) = await CustomerWithSessionsAsync(100);
        var other = TestDevice.NewMobile();
        await Client.LoginAsync(other, ("password", "other secret 1"), ("confirmPassword", "other secret 1"));
        var otherSession = await SessionsClient.Ok(Client.PostAsync("token/generate", other.OnDevice("other-2").Body()));

        var burst = Task.WhenAll(sessions.Select((session, i) =>
            Client.PostAsync("password/validate", phone.OnDevice($"burst-{i}").Body(("sessionId", session), ("password", $"wrong guess {i}")))));
        var timer = Stopwatch.StartNew();
        var otherLogin = await Client.PostAsync("password/validate", other.OnDevice("other-2").Body(("sessionId", otherSession.SessionId), ("password", "other secret 1")));
        var otherTook = timer.Elapsed;
        await burst;

        Assert.True(otherLogin.Success, otherLogin.Body.ToString());
        // The issue measured 21.7 s with the verification serialised on the customer grain; a stall, not a latency target.
        Assert.True(otherTook < TimeSpan.FromSeconds(5), $"another customer's login took {otherTook.TotalSeconds:F1} s during the burst");
    }

    /// <summary>A customer with a password and <paramref name="count"/> open login sessions on as many devices.</summary>
    private async Task<(TestDevice Phone, List<string> Sessions)> CustomerWithSessionsAsync(int count)
    {
        var phone = TestDevice.NewMobile();
        await Client.LoginAsync(phone, ("password", Password), ("confirmPassword", Password));
        var sessions = new List<string>();
        for (var i = 0; i < count; i++)
        {
            sessions.Add((await SessionsClient.Ok(Client.PostAsync("token/generate", phone.OnDevice($"burst-{i}").Body()))).SessionId!);
        }
        return (phone, sessions);
    }

    private async Task<bool> IsLockedAsync(TestDevice phone)
    {
        var opened = await SessionsClient.Ok(Client.PostAsync("token/generate", phone.OnDevice("after-burst").Body()));
        var right = await Client.PostAsync("password/validate", phone.OnDevice("after-burst").Body(("sessionId", opened.SessionId), ("password", Password)));
        return right.Code == 1550;
    }
}
