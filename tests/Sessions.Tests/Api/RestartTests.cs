using Sessions.Tests.Infrastructure;

namespace Sessions.Tests.Api;

public sealed class RestartTests
{
    [Fact]
    public async Task AKeyIssuedBeforeARestartStillRegenerates()
    {
        var dataDirectory = TempDirectory.Create("restart");
        var device = TestDevice.NewMobile();
        string key;
        await using (var before = new ApiFactory(dataDirectory))
        {
            var mfa = await before.CreateSessionsClient().MfaLoginAsync(device, device);
            key = mfa.Key!;
        }

        await using var after = new ApiFactory(dataDirectory);
        var client = after.CreateSessionsClient();
        var regenerated = await SessionsClient.Ok(client.PostAsync("mfa/token/regenerate", device.Body(("key", key))));
        var replayAfterGrace = await client.PostAsync("mfa/token/regenerate", device.Body(("key", key)));

        Assert.NotEqual(key, regenerated.Key);
        Assert.True(replayAfterGrace.Success, "the retry grace survives a restart too");
        Assert.Equal(regenerated.Key, replayAfterGrace.Key);
    }
}
