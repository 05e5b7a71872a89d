using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Sessions.Tests.Infrastructure;

namespace Sessions.Tests.Api;

/// <summary>
/// RFC 7662 introspection (API.md §4.5): a valid USER token of a live family is active, with its claims; any other
/// token, and any token once its family was logged out, replaced, revoked for reuse or a password change, is
/// exactly <c>{"active":false}</c>. Only the brand's client credentials may ask.
/// </summary>
[Collection(ApiCollection.Name)]
public sealed class IntrospectionTests(ApiFixture fixture)
{
    private SessionsClient Client => fixture.Client;

    [Fact]
    public async Task AUserTokenOfALiveFamilyIsActiveWithItsClaimsAsFormOrJson()
    {
        var phone = TestDevice.NewMobile();
        var login = await Client.MfaLoginAsync(phone, phone);

        var form = await IntrospectAsync(login.Token!, asJson: false);
        var json = await IntrospectAsync(login.Token!, asJson: true);

        Assert.True(form.GetProperty("active").GetBoolean());
        Assert.Equal(Jwt.Payload(login.Token!).GetProperty("uid").GetString(), form.GetProperty("sub").GetString());
        Assert.Equal(Jwt.Payload(login.Token!).GetProperty("sid").GetString(), form.GetProperty("sid").GetString());
        Assert.Equal(("USER", "DEMO", phone.DeviceId, "access_token"),
            (form.GetProperty("rol").GetString(), form.GetProperty("org").GetString(), form.GetProperty("dev").GetString(), form.GetProperty("token_type").GetString()));
        Assert.Equal($"MOBILE|{phone.IdentifierValue}", form.GetProperty("idv")[0].GetString());
        Assert.Equal(Jwt.Payload(login.Token!).GetProperty("exp").GetInt64(), form.GetProperty("exp").GetInt64());
        Assert.True(json.GetProperty("active").GetBoolean());
    }

    [Fact]
    public async Task ATokenIsInactiveOnceItsFamilyIsLoggedOutRevokedForReuseOrReplaced()
    {
        var loggedOut = TestDevice.NewMobile();
        var logout = await Client.MfaLoginAsync(loggedOut, loggedOut);
        await SessionsClient.Ok(Client.PostAsync("mfa/token/expire", loggedOut.Body(("token", logout.Token))));

        var replayed = TestDevice.NewMobile();
        var reused = await Client.LoginAsync(replayed);
        await SessionsClient.Ok(Client.PostAsync("token/regenerate", replayed.Body(("key", reused.Key))));

        var replacedDevice = TestDevice.NewMobile();
        var replaced = await Client.LoginAsync(replacedDevice);
        await Client.LoginAsync(replacedDevice);

        fixture.Factory.Clock.Advance(TimeSpan.FromSeconds(31));
        await Client.PostAsync("token/regenerate", replayed.Body(("key", reused.Key)));

        AssertInactive(await IntrospectAsync(logout.Token!));
        AssertInactive(await IntrospectAsync(reused.Token!));
        AssertInactive(await IntrospectAsync(replaced.Token!));
    }

    [Fact]
    public async Task APasswordChangeMakesTheOtherDevicesTokensInactive()
    {
        const string password = "first secret 1";
        var phone = TestDevice.NewMobile();
        var here = await Client.LoginAsync(phone, ("password", password), ("confirmPassword", password));
        var tablet = await Client.LoginAsync(phone.OnDevice("tablet"));

        await SessionsClient.Ok(Client.PostAsync("password/change", phone.Body(("token", here.Token), ("password", password), ("newPassword", "second secret 2"), ("confirmPassword", "second secret 2"))));

        AssertInactive(await IntrospectAsync(tablet.Token!));
        Assert.True((await IntrospectAsync(here.Token!)).GetProperty("active").GetBoolean());
    }

    [Fact]
    public async Task KeysViewTokensExpiredTokensForeignBrandsAndGarbageAreInactive()
    {
        var phone = TestDevice.NewMobile();
        var login = await Client.LoginAsync(phone);
        var web = await Client.WebLoginAsync(phone with { DeviceId = null });
        var view = await SessionsClient.Ok(Client.PostAsync("token/generate", TestDevice.NewMobile().Body()));
        var signed = await Client.LoginAsync(TestDevice.NewMobile(TestBrands.Signed));

        Assert.True((await IntrospectAsync(web.Token!)).GetProperty("active").GetBoolean());
        AssertInactive(await IntrospectAsync(login.Key!));
        AssertInactive(await IntrospectAsync(view.Token!));
        AssertInactive(await IntrospectAsync(signed.Token!));
        AssertInactive(await IntrospectAsync("not.a.token"));
        fixture.Factory.Clock.Advance(TimeSpan.FromMinutes(16));
        AssertInactive(await IntrospectAsync(login.Token!));
    }

    [Fact]
    public async Task OnlyTheBrandsClientCredentialsMayIntrospect()
    {
        var login = await Client.LoginAsync(TestDevice.NewMobile());

        var none = await SendAsync(login.Token!, authorization: null);
        var wrong = await SendAsync(login.Token!, Basic("DEMO", "not-the-secret"));
        var noSecret = await SendAsync(login.Token!, Basic(TestBrands.NoRotation, TestBrands.IntrospectionSecret));

        foreach (var refused in new[] { none, wrong, noSecret })
        {
            Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
            Assert.Equal("Basic", refused.Headers.WwwAuthenticate.Single().Scheme);
        }
    }

    private static void AssertInactive(JsonElement answer) => Assert.Equal("{\"active\":false}", answer.GetRawText());

    private async Task<JsonElement> IntrospectAsync(string token, bool asJson = false, string brand = "DEMO")
    {
        using var response = await SendAsync(token, Basic(brand, TestBrands.IntrospectionSecret), asJson);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.Clone();
    }

    private async Task<HttpResponseMessage> SendAsync(string token, AuthenticationHeaderValue? authorization, bool asJson = false)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/auth/v1/token/introspect")
        {
            Content = asJson
                ? new StringContent(JsonSerializer.Serialize(new { token }), Encoding.UTF8, "application/json")
                : new FormUrlEncodedContent([new("token", token)]),
        };
        request.Headers.Authorization = authorization;
        return await Client.Http.SendAsync(request);
    }

    private static AuthenticationHeaderValue Basic(string brand, string secret) =>
        new("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"{brand}:{secret}")));
}
