using System.Net;
using Sessions.Tests.Infrastructure;

namespace Sessions.Tests.Api;

[Collection(ApiCollection.Name)]
public sealed class AbuseLimitTests(ApiFixture fixture)
{
    private SessionsClient Client => fixture.Client;

    [Fact]
    public async Task OtpSendsAreLimitedPerIdentifierAcrossDevices()
    {
        var device = TestDevice.NewMobile(TestBrands.Guarded);
        for (var i = 0; i < 3; i++)
        {
            await Client.StartLoginAsync(device.OnDevice($"phone-{i}"));
        }

        var opened = await SessionsClient.Ok(Client.PostAsync("token/generate", device.OnDevice("phone-4").Body()));
        var fourth = await Client.PostAsync("otp/generate", device.OnDevice("phone-4").Body(("sessionId", opened.SessionId)));

        Assert.Equal((HttpStatusCode.TooManyRequests, 1534), (fourth.Status, fourth.Code));
        var retryAfter = fourth.Raw.Headers.RetryAfter!.Delta!.Value;
        Assert.InRange(retryAfter, TimeSpan.FromMinutes(14), TimeSpan.FromMinutes(15));
    }

    [Fact]
    public async Task FiftyParallelWrongGuessesLockTheIdentifierAtExactlyTheLimit()
    {
        var device = TestDevice.NewMobile(TestBrands.Guarded);
        var sessionId = await Client.StartLoginAsync(device);
        var wrong = SessionsClient.WrongOtp(await Client.LatestOtpAsync(device));

        var answers = await Task.WhenAll(Enumerable.Range(0, 50).Select(_ =>
            Client.PostAsync("otp/validate", device.Body(("sessionId", sessionId), ("otp", wrong)))));

        Assert.Equal(3, answers.Count(a => a.Code == 1506));
        Assert.Equal(47, answers.Count(a => a.Code == 1550));
        Assert.All(answers.Where(a => a.Code == 1550), a => Assert.Equal(HttpStatusCode.Locked, a.Status));
        Assert.All(answers.Where(a => a.Code == 1550), a => Assert.NotNull(a.Raw.Headers.RetryAfter));
    }

    [Fact]
    public async Task ALockedIdentifierIsRefusedOnEveryCredentialEndpointButCanStillOpenASession()
    {
        var device = TestDevice.NewMobile(TestBrands.Guarded);
        var (sessionId, right) = await Client.LockOutAsync(device);

        var withRightCode = await Client.PostAsync("otp/validate", device.Body(("sessionId", sessionId), ("otp", right)));
        var opened = await Client.PostAsync("token/generate", device.OnDevice("other").Body());
        var send = await Client.PostAsync("otp/generate", device.OnDevice("other").Body(("sessionId", opened.SessionId)));
        var password = await Client.PostAsync("password/validate", device.OnDevice("other").Body(("sessionId", opened.SessionId), ("password", "whatever1")));

        Assert.True(opened.Success);
        Assert.All([withRightCode, send, password], r => Assert.Equal((HttpStatusCode.Locked, 1550), (r.Status, r.Code)));
    }

    [Fact]
    public async Task ASuccessResetsTheFailureCount()
    {
        var device = TestDevice.NewMobile(TestBrands.Guarded);
        var sessionId = await Client.StartLoginAsync(device);
        var right = await Client.LatestOtpAsync(device);
        await Client.GuessWrongAsync(device, sessionId, right, 3);
        await SessionsClient.Ok(Client.PostAsync("otp/validate", device.Body(("sessionId", sessionId), ("otp", right))));

        var next = await Client.StartLoginAsync(device);
        var answers = await Client.GuessWrongAsync(device, next, await Client.LatestOtpAsync(device), 3);

        Assert.All(answers, a => Assert.Equal(1506, a.Code));
    }

    [Fact]
    public async Task TheLockEndsAfterLockMinutes()
    {
        await using var factory = new ApiFactory();
        var client = factory.CreateSessionsClient();
        var device = TestDevice.NewMobile(TestBrands.Guarded);
        await client.LockOutAsync(device);

        factory.Clock.Advance(TimeSpan.FromMinutes(15) + TimeSpan.FromSeconds(1));
        var next = await client.StartLoginAsync(device);
        var validated = await client.PostAsync("otp/validate", device.Body(("sessionId", next), ("otp", await client.LatestOtpAsync(device))));

        Assert.True(validated.Success, validated.Body.ToString());
    }
}
