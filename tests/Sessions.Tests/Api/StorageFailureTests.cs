using System.Globalization;
using System.Net;
using Sessions.Grains.Identity;
using Sessions.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Sessions.Silo.Storage;
using StackExchange.Redis;

namespace Sessions.Tests.Api;

public sealed class StorageFailureTests
{
    [Fact]
    public async Task AWriteConflictIsServiceUnavailableWithRetryAfterAndTheRetrySucceeds()
    {
        var port = FreePort.Next();
        await using var factory = new ApiFactory(settings: new() { ["Sessions:Storage:EmbeddedPort"] = port.ToString(CultureInfo.InvariantCulture) });
        var client = factory.CreateSessionsClient();
        var device = TestDevice.NewMobile();
        var login = await client.MfaLoginAsync(device, device);
        var grainKey = GrainKeys.DeviceSession(new Identifier(device.Brand, IdentifierType.MOBILE, device.IdentifierValue), device.DeviceId);

        await using (var redis = await ConnectionMultiplexer.ConnectAsync($"127.0.0.1:{port}"))
        {
            await redis.GetDatabase().HashSetAsync($"sessions/state/device-session/{grainKey}/device-session", "etag", "another-writer");
        }
        var conflict = await client.PostAsync("mfa/token/regenerate", device.Body(("key", login.Key)));
        var retry = await client.PostAsync("mfa/token/regenerate", device.Body(("key", login.Key)));

        Assert.Equal((HttpStatusCode.ServiceUnavailable, 1599), (conflict.Status, conflict.Code));
        Assert.True(conflict.Raw.Headers.RetryAfter is not null);
        Assert.True(retry.Success);
    }

    [Fact]
    public async Task AStoreThatIsGoneIsServiceUnavailableNotAnError()
    {
        await using var factory = new ApiFactory();
        var client = factory.CreateSessionsClient();
        await client.LoginAsync(TestDevice.NewMobile());

        factory.Services.GetRequiredService<EmbeddedGarnet>().Dispose();
        var response = await client.PostAsync("token/generate", TestDevice.NewMobile().Body());

        Assert.Equal((HttpStatusCode.ServiceUnavailable, 1599), (response.Status, response.Code));
        Assert.True(response.Raw.Headers.RetryAfter is not null);
    }
}
