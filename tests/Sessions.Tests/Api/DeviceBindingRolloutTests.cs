using System.Net;
using Sessions.Tests.Infrastructure;

namespace Sessions.Tests.Api;

/// <summary>
/// Device binding as an operator rolls it out (README "Device-bound keys"): a brand goes <c>Off</c> → <c>Optional</c> →
/// <c>Required</c> across restarts on one data directory while old and updated apps keep their sessions; and behind a
/// proxy, proofs name the public URL (<c>Sessions:PublicBaseUrl</c>).
/// </summary>
public sealed class DeviceBindingRolloutTests
{
    private const string Regenerate = "token/regenerate";

    [Fact]
    public async Task ABrandMovesFromOffToOptionalToRequiredAndNoUpdatedAppLogsInAgain()
    {
        var data = TempDirectory.Create("binding-rollout");
        var updated = TestDevice.NewMobile();      // its app update ships a device key while the brand is Optional
        var late = TestDevice.NewMobile();         // its app updates only after the brand went Required
        var newcomer = TestDevice.NewMobile();     // logs in for the first time under Optional, with a key
        string updatedKey, lateKey, newcomerKey;

        await using (var off = Host(data, "Off"))
        {
            var client = off.CreateSessionsClient();
            updatedKey = (await client.LoginAsync(updated)).Key!;
            lateKey = (await client.LoginAsync(late)).Key!;
        }

        using var updatedDeviceKey = new DeviceKey(TimeProvider.System);
        using var newcomerDeviceKey = new DeviceKey(TimeProvider.System);
        await using (var optional = Host(data, "Optional"))
        {
            var client = optional.CreateSessionsClient();
            var upgraded = await SessionsClient.Ok(client.PostWithProofAsync(Regenerate, updated.Body(("key", updatedKey)), updatedDeviceKey));
            var stillBearer = await SessionsClient.Ok(client.PostAsync(Regenerate, late.Body(("key", lateKey))));
            var bound = await client.LoginAsync(newcomer, newcomerDeviceKey);

            Assert.Equal(updatedDeviceKey.Thumbprint, Jwt.Payload(upgraded.Key!).GetProperty("cnf").GetProperty("jkt").GetString());
            Assert.False(Jwt.Payload(stillBearer.Key!).TryGetProperty("cnf", out _));
            (updatedKey, lateKey, newcomerKey) = (upgraded.Key!, stillBearer.Key!, bound.Key!);
        }

        using var lateDeviceKey = new DeviceKey(TimeProvider.System);
        await using (var required = Host(data, "Required"))
        {
            var client = required.CreateSessionsClient();
            var updatedWithout = await client.PostAsync(Regenerate, updated.Body(("key", updatedKey)));
            var lateWithout = await client.PostAsync(Regenerate, late.Body(("key", lateKey)));
            var stranger = TestDevice.NewMobile();
            var strangersSession = await client.StartLoginAsync(stranger);
            var newLoginWithout = await client.PostAsync("otp/validate", stranger.Body(("sessionId", strangersSession), ("otp", await client.LatestOtpAsync(stranger))));
            updatedKey = (await SessionsClient.Ok(client.PostWithProofAsync(Regenerate, updated.Body(("key", updatedKey)), updatedDeviceKey))).Key!;
            var lateUpgraded = await SessionsClient.Ok(client.PostWithProofAsync(Regenerate, late.Body(("key", lateKey)), lateDeviceKey));
            await SessionsClient.Ok(client.PostWithProofAsync(Regenerate, newcomer.Body(("key", newcomerKey)), newcomerDeviceKey));

            Assert.Equal((HttpStatusCode.Unauthorized, 1562), (updatedWithout.Status, updatedWithout.Code));
            Assert.Equal((HttpStatusCode.Unauthorized, 1562), (lateWithout.Status, lateWithout.Code));
            Assert.Equal((HttpStatusCode.Unauthorized, 1562), (newLoginWithout.Status, newLoginWithout.Code));
            Assert.Equal(lateDeviceKey.Thumbprint, Jwt.Payload(lateUpgraded.Key!).GetProperty("cnf").GetProperty("jkt").GetString());
        }

        // Rolled back to Off, keys are bearer again; forward again, the binding was never forgotten.
        await using (var rolledBack = Host(data, "Off"))
        {
            updatedKey = (await SessionsClient.Ok(rolledBack.CreateSessionsClient().PostAsync(Regenerate, updated.Body(("key", updatedKey))))).Key!;
            Assert.False(Jwt.Payload(updatedKey).TryGetProperty("cnf", out _));
        }
        await using (var optionalAgain = Host(data, "Optional"))
        {
            var withoutProof = await optionalAgain.CreateSessionsClient().PostAsync(Regenerate, updated.Body(("key", updatedKey)));
            Assert.Equal(1562, withoutProof.Code);
        }
    }

    [Fact]
    public async Task BehindAProxyAProofNamesThePublicUrl()
    {
        await using var api = new ApiFactory(settings: new()
        {
            ["Sessions:PublicBaseUrl"] = "https://auth.example.com",
            [$"Sessions:Brands:{TestBrands.Demo}:DeviceBinding"] = "Optional",
        });
        var client = api.CreateSessionsClient();
        using var deviceKey = new DeviceKey(api.Clock);
        var phone = TestDevice.NewMobile();
        var sessionId = await client.StartLoginAsync(phone);
        var login = await SessionsClient.Ok(client.PostWithProofAsync("otp/validate", phone.Body(("sessionId", sessionId), ("otp", await client.LatestOtpAsync(phone))),
            deviceKey.Proof(new Uri("https://auth.example.com/auth/v1/otp/validate"))));

        var internalUrl = await client.PostWithProofAsync(Regenerate, phone.Body(("key", login.Key)), deviceKey.Proof(client.Url(Regenerate)));
        // Scheme and host in any case, the default port spelled out, a query: all the same URL (RFC 9449 §4.3).
        var publicUrl = await client.PostWithProofAsync(Regenerate, phone.Body(("key", login.Key)),
            deviceKey.Proof(client.Url(Regenerate), payload: p => p["htu"] = "HTTPS://Auth.Example.COM:443/auth/v1/token/regenerate?utm=1"));

        Assert.Equal(1560, internalUrl.Code);
        Assert.Equal(HttpStatusCode.OK, publicUrl.Status);
    }

    private static ApiFactory Host(string data, string binding) =>
        new(data, new() { [$"Sessions:Brands:{TestBrands.Demo}:DeviceBinding"] = binding }, clockStart: DateTimeOffset.UtcNow);
}
