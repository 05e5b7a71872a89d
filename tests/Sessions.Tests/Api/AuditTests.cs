using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Sessions.Tests.Infrastructure;

namespace Sessions.Tests.Api;

public sealed class AuditTests
{
    [Fact]
    public async Task TheAuditTrailRecordsEachOutcomeAndNeverASecret()
    {
        var logs = new CapturedLogs();
        await using var factory = new ApiFactory(
            settings: new() { ["Logging:LogLevel:Sessions"] = "Debug" },
            services: s => s.AddSingleton<ILoggerProvider>(logs));
        var client = factory.CreateSessionsClient();
        var phone = TestDevice.NewMobile();
        var secrets = new List<string> { "first secret 1", "second secret 2" };

        var sessionId = await client.StartLoginAsync(phone, ("password", "first secret 1"), ("confirmPassword", "first secret 1"));
        var otp = await client.LatestOtpAsync(phone);
        await client.PostAsync("otp/validate", phone.Body(("sessionId", sessionId), ("otp", SessionsClient.WrongOtp(otp))));
        var login = await SessionsClient.Ok(client.PostAsync("otp/validate", phone.Body(("sessionId", sessionId), ("otp", otp))));
        var mfa = await client.MfaLoginAsync(phone, phone);
        // The MFA login replaced the first login's family on this device: the MFA token is the live one.
        await SessionsClient.Ok(client.PostAsync("password/change", phone.Body(("token", mfa.Token), ("password", "first secret 1"), ("newPassword", "second secret 2"), ("confirmPassword", "second secret 2"))));
        await SessionsClient.Ok(client.PostAsync("user/sessions/revokeOthers", phone.Body(("token", mfa.Token))));
        await client.PostAsync("user/sessions/revoke", phone.Body(("token", mfa.Token), ("familyId", "not-a-family")));
        var rotated = await SessionsClient.Ok(client.PostAsync("mfa/token/regenerate", phone.Body(("key", mfa.Key))));
        factory.Clock.Advance(TimeSpan.FromSeconds(31));
        await client.PostAsync("mfa/token/regenerate", phone.Body(("key", mfa.Key)));
        secrets.AddRange([otp, login.Token!, login.Key!, mfa.Token!, mfa.Key!, rotated.Token!, rotated.Key!, phone.IdentifierValue, phone.DeviceId!]);
        secrets.AddRange([login.Token!.Split('.')[2], mfa.Key!.Split('.')[2]]);

        var audit = logs.Entries.Where(e => e.Category.EndsWith("AuthAudit", StringComparison.Ordinal)).ToList();
        Assert.Contains(audit, e => e.EventId.Id == 3001 && e.Values["Factor"] == "otp");
        Assert.Contains(audit, e => e.EventId.Id == 3002 && e.Values["Code"] == "1506");
        Assert.Contains(audit, e => e.EventId.Id == 3003);
        Assert.Contains(audit, e => e.EventId.Id == 3006 && e.Values["Rotated"] == "True");
        Assert.Contains(audit, e => e.EventId.Id == 3007);
        Assert.Contains(audit, e => e.EventId.Id == 3010 && e.Values["Action"] == "changed");
        Assert.Contains(audit, e => e.EventId.Id == 3015 && e.Values["Scope"] == "others");
        Assert.Contains(audit, e => e.EventId.Id == 3016 && e.Values["Code"] == "1519" && !e.Everything.Contains("not-a-family", StringComparison.Ordinal));
        Assert.All(audit, e => Assert.Equal(phone.DeviceId![..4] + "***", e.Values["DeviceId"]));
        Assert.All(audit, e => Assert.EndsWith(phone.IdentifierValue[^3..], e.Values["Identifier"]));
        foreach (var entry in logs.Entries)
        {
            foreach (var secret in secrets)
            {
                Assert.DoesNotContain(secret, entry.Everything);
            }
        }
    }
}
