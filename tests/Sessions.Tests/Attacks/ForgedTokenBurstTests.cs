using System.Net;
using System.Security.Cryptography;
using Microsoft.IdentityModel.Tokens;
using Sessions.Tests.ClientLibrary;
using Sessions.Tests.Infrastructure;

namespace Sessions.Tests.Attacks;

/// <summary>
/// The API as a process, under a burst of forged ES256 tokens that name the brand's real key (each costs an ECDSA check
/// before its refusal): every forged one is refused, and the genuine token, presented among them, still acts.
/// </summary>
[Collection(ClientProcessCollection.Name)]
public sealed class ForgedTokenBurstTests(ClientProcessFixture fixture)
{
    private SessionsClient Client => fixture.Api.Client;

    [Fact]
    public async Task ABurstOfForgedEs256TokensIsRefusedWhileTheGenuineTokenIsIntrospectedAndLogsOut()
    {
        var phone = TestDevice.NewMobile(TestBrands.Signed);
        var login = await Client.MfaLoginAsync(phone, phone);
        var token = login.Token!;
        // The genuine header and payload (the brand's real kid), with 64 random bytes for an ES256 signature.
        var signedPart = token[..token.LastIndexOf('.')];
        string Forged() => $"{signedPart}.{Base64UrlEncoder.Encode(RandomNumberGenerator.GetBytes(64))}";

        var forgedLogouts = Enumerable.Range(0, 200).Select(_ => Client.PostAsync("mfa/token/expire", phone.Body(("token", Forged())))).ToList();
        var forgedIntrospections = Enumerable.Range(0, 50).Select(_ => Client.IntrospectAsync(Forged(), TestBrands.Signed)).ToList();
        var genuineIntrospections = Enumerable.Range(0, 20).Select(_ => Client.IntrospectAsync(token, TestBrands.Signed)).ToList();
        await Task.WhenAll([.. forgedLogouts, .. forgedIntrospections, .. genuineIntrospections]);
        var logout = await Client.PostAsync("mfa/token/expire", phone.Body(("token", token)));
        var afterLogout = await Client.IntrospectAsync(token, TestBrands.Signed);

        Assert.All(forgedLogouts, f => Assert.Equal((HttpStatusCode.Unauthorized, 1596), (f.Result.Status, f.Result.Code)));
        Assert.All(forgedIntrospections, f => Assert.False(f.Result.GetProperty("active").GetBoolean()));
        Assert.All(genuineIntrospections, g => Assert.True(g.Result.GetProperty("active").GetBoolean()));
        Assert.True(logout.Success, logout.Body.ToString());
        Assert.False(afterLogout.GetProperty("active").GetBoolean());
    }
}
