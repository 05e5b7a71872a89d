using System.Net;
using Sessions.Tests.Infrastructure;

namespace Sessions.Tests.Api;

[Collection(ApiCollection.Name)]
public sealed class KeyRotationTests(ApiFixture fixture)
{
    private SessionsClient Client => fixture.Client;

    [Fact]
    public async Task RegenerateRotatesTheKeyAndTheNewKeyWorks()
    {
        var device = TestDevice.NewMobile();
        var login = await Client.LoginAsync(device);

        var first = await SessionsClient.Ok(Client.PostAsync("token/regenerate", device.Body(("key", login.Key))));
        var second = await SessionsClient.Ok(Client.PostAsync("token/regenerate", device.Body(("key", first.Key))));

        Assert.NotNull(first.Key);
        Assert.NotEqual(login.Key, first.Key);
        Assert.NotEqual(first.Key, second.Key);
        Assert.Equal(Jwt.Payload(login.Key!).GetProperty("sid").GetString(), Jwt.Payload(second.Key!).GetProperty("sid").GetString());
        Assert.Equal("USER", Jwt.Payload(second.Token!).GetProperty("rol").GetString());
    }

    [Fact]
    public async Task ARetryWithThePreviousKeyWithinTheGraceGetsTheSameSuccessor()
    {
        var device = TestDevice.NewMobile();
        var login = await Client.LoginAsync(device);

        var first = await SessionsClient.Ok(Client.PostAsync("token/regenerate", device.Body(("key", login.Key))));
        var retry = await SessionsClient.Ok(Client.PostAsync("token/regenerate", device.Body(("key", login.Key))));

        Assert.Equal(first.Key, retry.Key);
        Assert.NotEqual(first.Token, retry.Token);
    }

    [Fact]
    public async Task ReplayedKeyAfterTheGraceRevokesTheFamily()
    {
        await using var factory = new ApiFactory();
        var client = factory.CreateSessionsClient();
        var device = TestDevice.NewMobile();
        var login = await client.LoginAsync(device);
        var rotated = await SessionsClient.Ok(client.PostAsync("token/regenerate", device.Body(("key", login.Key))));

        factory.Clock.Advance(TimeSpan.FromSeconds(31));
        var replay = await client.PostAsync("token/regenerate", device.Body(("key", login.Key)));
        var successor = await client.PostAsync("token/regenerate", device.Body(("key", rotated.Key)));

        Assert.Equal((HttpStatusCode.Unauthorized, 1525), (replay.Status, replay.Code));
        Assert.Equal(1525, successor.Code);
    }

    [Fact]
    public async Task AKeyOlderThanThePreviousOneRevokesTheFamilyAtOnce()
    {
        var device = TestDevice.NewMobile();
        var login = await Client.LoginAsync(device);
        var k2 = await SessionsClient.Ok(Client.PostAsync("token/regenerate", device.Body(("key", login.Key))));
        var k3 = await SessionsClient.Ok(Client.PostAsync("token/regenerate", device.Body(("key", k2.Key))));

        var replay = await Client.PostAsync("token/regenerate", device.Body(("key", login.Key)));
        var current = await Client.PostAsync("token/regenerate", device.Body(("key", k3.Key)));

        Assert.Equal(1525, replay.Code);
        Assert.Equal(1525, current.Code);
    }

    [Fact]
    public async Task WithRotationOffTheKeyStaysValidAndNoKeyIsReturned()
    {
        var device = TestDevice.NewMobile(TestBrands.NoRotation);
        var login = await Client.LoginAsync(device);

        var first = await SessionsClient.Ok(Client.PostAsync("token/regenerate", device.Body(("key", login.Key))));
        var second = await SessionsClient.Ok(Client.PostAsync("token/regenerate", device.Body(("key", login.Key))));

        Assert.Null(first.Key);
        Assert.Null(second.Key);
        Assert.NotNull(second.Token);
    }

    [Fact]
    public async Task ANewLoginOnTheSameDeviceRevokesThePreviousFamily()
    {
        var device = TestDevice.NewMobile();
        var first = await Client.LoginAsync(device);
        await Client.LoginAsync(device);

        var response = await Client.PostAsync("token/regenerate", device.Body(("key", first.Key)));

        Assert.Equal((HttpStatusCode.Unauthorized, 1597), (response.Status, response.Code));
    }

    [Fact]
    public async Task KeysExpireAbsolutelyWhenTheBrandSaysSoAndWhenIdle()
    {
        await using var factory = new ApiFactory();
        var client = factory.CreateSessionsClient();
        var strict = TestDevice.NewMobile(TestBrands.Strict);
        var strictLogin = await client.LoginAsync(strict, ("password", "Secret123"), ("confirmPassword", "Secret123"));
        var idle = TestDevice.NewMobile(TestBrands.NoRotation);
        var idleLogin = await client.LoginAsync(idle);

        var exp = Jwt.Payload(strictLogin.Key!).GetProperty("exp").GetInt64();
        factory.Clock.Advance(TimeSpan.FromMinutes(61));
        var expired = await client.PostAsync("token/regenerate", strict.Body(("key", strictLogin.Key)));
        factory.Clock.Advance(TimeSpan.FromDays(91));
        var idled = await client.PostAsync("token/regenerate", idle.Body(("key", idleLogin.Key)));

        Assert.Equal(60 * 60, exp - Jwt.Payload(strictLogin.Key!).GetProperty("iat").GetInt64());
        Assert.Equal(1597, expired.Code);
        Assert.Equal(1597, idled.Code);
    }

    [Fact]
    public async Task FortyConcurrentRegeneratesWithOneKeyAgreeOnOneSuccessor()
    {
        var device = TestDevice.NewMobile();
        var login = await Client.LoginAsync(device);

        var answers = await Task.WhenAll(Enumerable.Range(0, 40).Select(_ => Client.PostAsync("token/regenerate", device.Body(("key", login.Key)))));

        Assert.All(answers, a => Assert.True(a.Success, a.Body.ToString()));
        Assert.Single(answers.Select(a => a.Key).Distinct());
    }

    [Fact]
    public async Task AKeyOfAnotherDeviceOrIdentifierIsRefused()
    {
        var device = TestDevice.NewMobile();
        var login = await Client.LoginAsync(device);

        var otherDevice = await Client.PostAsync("token/regenerate", device.OnDevice("other").Body(("key", login.Key)));
        var otherIdentifier = await Client.PostAsync("token/regenerate", TestDevice.NewMobile().OnDevice(device.DeviceId).Body(("key", login.Key)));
        var otherBrand = await Client.PostAsync("token/regenerate", (device with { Brand = TestBrands.NoRotation }).Body(("key", login.Key)));

        Assert.Equal(1508, otherDevice.Code);
        Assert.Equal(1507, otherIdentifier.Code);
        Assert.Equal(1509, otherBrand.Code);
    }
}
