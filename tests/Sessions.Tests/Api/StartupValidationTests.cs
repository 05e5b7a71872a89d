using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Orleans.Configuration;
using Sessions.Tests.Infrastructure;

namespace Sessions.Tests.Api;

public sealed class StartupValidationTests
{
    public static TheoryData<string, string?, string> BadSettings() => new()
    {
        { "Sessions:Brands:DEMO:SigningKeys:0:Secret", "c2hvcnQ=", "Sessions:Brands:DEMO:SigningKeys:0:Secret" },
        { "Sessions:Brands:DEMO:Otp:Length", "2", "Sessions:Brands:DEMO:Otp:Length" },
        { "Sessions:Brands:DEMO:KeyReuseGraceSeconds", "-1", "Sessions:Brands:DEMO:KeyReuseGraceSeconds" },
        { "Sessions:Brands:DEMO:MfaPasswordRegex", "([", "Sessions:Brands:DEMO:MfaPasswordRegex" },
        { "Sessions:Brands:DEMO:TestIdentifiers:0:Otp", "12", "Sessions:Brands:DEMO:TestIdentifiers:0:Otp" },
        { "Sessions:Otp:Sender", "Webhook", "Sessions:Otp:Webhook:Url" },
        { "Sessions:Storage:Mode", "Redis", "ConnectionStrings:Redis" },
        { "Sessions:Brands:DEMO:Web:MaxFamilies", "0", "Sessions:Brands:DEMO:Web:MaxFamilies" },
        { "Sessions:Brands:DEMO:SigningKeys:0:Algorithm", "ES256", "Sessions:Brands:DEMO:SigningKeys:0:PrivateKeyPem" },
        { "Sessions:Brands:SIGNED:SigningKeys:0:PrivateKeyPem", "-----BEGIN PRIVATE KEY-----\nnot a key\n-----END PRIVATE KEY-----", "Sessions:Brands:SIGNED:SigningKeys:0:PrivateKeyPem" },
        { "Sessions:Brands:SIGNED:SigningKeys:0:PrivateKeyPem", P384Pem(), "Sessions:Brands:SIGNED:SigningKeys:0:PrivateKeyPem" },
        { "Sessions:Brands:SIGNED:SigningKeys:0:Secret", TestBrands.SigningSecrets[TestBrands.Demo], "Sessions:Brands:SIGNED:SigningKeys:0:Secret" },
        { "Sessions:Brands:DEMO:IntrospectionSecret", "short", "Sessions:Brands:DEMO:IntrospectionSecret" },
        { "Sessions:Admin:ApiKeys:0:Key", "short", "Sessions:Admin:ApiKeys:0:Key" },
        { "Sessions:Admin:ApiKeys:0:Brands:0", "NOPE", "Sessions:Admin:ApiKeys:0:Brands:0 names 'NOPE', which is not a configured brand" },
        { "Sessions:Brands:DEMO:Web:IdleMinutes", "0", "Sessions:Brands:DEMO:Web:IdleMinutes" },
        { "Sessions:Brands:DEMO:MaxDeviceSessions", "0", "Sessions:Brands:DEMO:MaxDeviceSessions" },
        { "Sessions:Cluster:Membership:ProbeTimeout", "00:00:00.100", "Sessions:Cluster:Membership:ProbeTimeout" },
        { "Sessions:Cluster:Membership:MissedIAmAliveLimit", "1", "Sessions:Cluster:Membership:MissedIAmAliveLimit" },
        { "Sessions:Cluster:GrainCollection:IdleMinutes", "0", "Sessions:Cluster:GrainCollection:IdleMinutes" },
        { "Sessions:Storage:SweepHours", "-1", "Sessions:Storage:SweepHours" },
        { "Sessions:Storage:EmbeddedMemoryMegabytes", "300", "Sessions:Storage:EmbeddedMemoryMegabytes must be a power of two" },
        { "Sessions:Storage:EmbeddedMemoryMegabytes", "32", "Sessions:Storage:EmbeddedMemoryMegabytes must be a power of two from 64" },
        { "Sessions:Cluster:GrainCollection:MemoryTargetPercent", "90", "Sessions:Cluster:GrainCollection:ShedAtMemoryPercent" },
        { "Sessions:Brands:DEMO:DeviceBinding", "Sometimes", "Sessions:Brands:DEMO:DeviceBinding" },
        { "Sessions:Brands:DEMO:Otp:Length", "six", "Sessions:Brands:DEMO:Otp:Length" },
        { "Sessions:Brands:DEMO:DeviceBinding", "7", "Sessions:Brands:DEMO:DeviceBinding" },
        { "Sessions:Brands:DEMO:DeviceProofWindowSeconds", "0", "Sessions:Brands:DEMO:DeviceProofWindowSeconds" },
        { "Sessions:Brands:DEMO:DeviceNonceSeconds", "86400", "Sessions:Brands:DEMO:DeviceNonceSeconds" },
        { "Sessions:SecurityEvents:Webhook:Url", "ftp://events.example.com", "Sessions:SecurityEvents:Webhook:Url" },
        { "Sessions:LogSampling:WindowSeconds", "0", "Sessions:LogSampling:WindowSeconds" },
        { "Sessions:Brands:DEMO:SigningKeys:0:Id", "demo+keys", "Sessions:Brands:DEMO:SigningKeys:0:Id" },
        { "Sessions:Brands:DEMO:SigningKeys:0:SignFrom", "2999-01-01T00:00:00Z", "Sessions:Brands:DEMO:SigningKeys: every key's SignFrom is in the future" },
        { "Sessions:Brands:DEMO:SigningKeys:0:SignFrom", "next tuesday", "Sessions:Brands:DEMO:SigningKeys:0:SignFrom" },
        { "Sessions:Brands:SIGNED:SigningKeys:0:Algorithm", "ES999", "Sessions:Brands:SIGNED:SigningKeys:0:Algorithm" },
        { "Sessions:PublicBaseUrl", "auth.example.com", "Sessions:PublicBaseUrl" },
        { "Sessions:PublicBaseUrl", "https://auth.example.com/?tenant=1", "Sessions:PublicBaseUrl" },
        { "Sessions:Brands:DEMO:Web:AllowedOrigins:0", "*", "Sessions:Brands:DEMO:Web:AllowedOrigins:0 must name one website" },
        { "Sessions:Brands:DEMO:Web:AllowedOrigins:0", "null", "Sessions:Brands:DEMO:Web:AllowedOrigins:0 must name one website" },
        { "Sessions:Brands:DEMO:Web:AllowedOrigins:0", "shop.example.com", "Sessions:Brands:DEMO:Web:AllowedOrigins:0 must be an origin" },
        { "Sessions:Brands:DEMO:Web:AllowedOrigins:0", "https://shop.example.com/login", "Sessions:Brands:DEMO:Web:AllowedOrigins:0 must be scheme, host and port only" },
        { "Sessions:Brands:DEMO:Web:AllowedOrigins:0", "https://user@shop.example.com", "Sessions:Brands:DEMO:Web:AllowedOrigins:0 must be scheme, host and port only" },
        { "Sessions:Brands:DEMO:Web:AllowedOrigins:0", "http://shop.example.com", "Sessions:Brands:DEMO:Web:AllowedOrigins:0 must be https" },
        { "Sessions:Brands:DEMO:Web:AllowedOrigins:0", "ftp://shop.example.com", "Sessions:Brands:DEMO:Web:AllowedOrigins:0 must be an origin" },
    };

    private static string P384Pem()
    {
        using var key = System.Security.Cryptography.ECDsa.Create(System.Security.Cryptography.ECCurve.NamedCurves.nistP384);
        return key.ExportPkcs8PrivateKeyPem();
    }

    [Theory]
    [MemberData(nameof(BadSettings))]
    public void ABadSettingStopsTheStartWithAMessageNamingIt(string key, string? value, string named)
    {
        using var factory = new ApiFactory(settings: new() { [key] = value });

        var error = Record.Exception(() => factory.CreateClient());

        Assert.NotNull(error);
        Assert.Contains(named, error.ToString());
    }

    [Fact]
    public async Task IdleDeviceSessionsLeaveTheSiloAfterTwentyMinutesAndActivationsAreShedUnderMemoryPressure()
    {
        await using var defaults = new ApiFactory();
        await using var configured = new ApiFactory(settings: new()
        {
            ["Sessions:Cluster:GrainCollection:IdleMinutes"] = "45",
            ["Sessions:Cluster:GrainCollection:ShedAtMemoryPercent"] = "0",
        });

        var byDefault = defaults.Services.GetRequiredService<IOptions<GrainCollectionOptions>>().Value;
        var changed = configured.Services.GetRequiredService<IOptions<GrainCollectionOptions>>().Value;

        Assert.Equal((TimeSpan.FromMinutes(20), true, 85.0, 75.0),
            (byDefault.CollectionAge, byDefault.EnableActivationSheddingOnMemoryPressure, byDefault.MemoryUsageLimitPercentage, byDefault.MemoryUsageTargetPercentage));
        Assert.Equal((TimeSpan.FromMinutes(45), false), (changed.CollectionAge, changed.EnableActivationSheddingOnMemoryPressure));
    }

    [Fact]
    public void ProductionRefusesDevelopmentOtpSenders()
    {
        using var factory = new ApiFactory(environment: "Production");

        var error = Record.Exception(() => factory.CreateClient());

        Assert.NotNull(error);
        Assert.Contains("Sessions:Otp:Sender", error.ToString());
    }

    [Fact]
    public void ProductionNeedsSigningKeysForEveryBrand()
    {
        using var factory = new ApiFactory(environment: "Production", settings: new()
        {
            ["Sessions:Otp:Sender"] = "Webhook",
            ["Sessions:Otp:Webhook:Url"] = "https://sms.example/otp",
            ["Sessions:Otp:Webhook:Secret"] = new string('s', 40),
            ["Sessions:Brands:NOKEYS:OrgId"] = "1",
            ["Sessions:Brands:NOKEYS:OrgUser"] = "nokeys",
        });

        var error = Record.Exception(() => factory.CreateClient());

        Assert.NotNull(error);
        Assert.Contains("Sessions:Brands:NOKEYS:SigningKeys", error.ToString());
    }
}
