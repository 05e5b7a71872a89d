using System.Net;
using Sessions.Tests.Infrastructure;

namespace Sessions.Tests.Api;

/// <summary>
/// Pages of a brand's own website call the API from a browser (API.md §4.4, CORS): the origins the brand lists get the
/// preflight and the headers their script needs to read every answer; other websites get neither, and a listed website
/// cannot act for a brand that does not list it. Requests as a browser sends them; <c>BrandWebsiteTests</c> drives a real one.
/// </summary>
[Collection(ApiCollection.Name)]
public sealed class BrowserOriginTests(ApiFixture fixture)
{
    private const string AllowOrigin = "Access-Control-Allow-Origin";

    private SessionsClient Client => fixture.Client;

    [Fact]
    public async Task APreflightFromABrandsWebsiteAllowsTheMethodAndHeadersItsScriptSends()
    {
        using var preflight = await PreflightAsync("web/token/generate", TestBrands.DemoWebsite, "content-type,dpop");

        Assert.Equal(HttpStatusCode.NoContent, preflight.StatusCode);
        Assert.Equal(TestBrands.DemoWebsite, preflight.Header(AllowOrigin));
        Assert.Contains("POST", preflight.Header("Access-Control-Allow-Methods"), StringComparison.Ordinal);
        Assert.Equal(["content-type", "dpop"], preflight.Header("Access-Control-Allow-Headers")!.ToLowerInvariant().Split(','));
        Assert.Equal("600", preflight.Header("Access-Control-Max-Age"));
        Assert.Null(preflight.Header("Access-Control-Allow-Credentials"));
    }

    [Theory]
    [InlineData("https://evil.example")]
    [InlineData("https://shop.demo.example.evil.example")]
    [InlineData("http://shop.demo.example")]
    [InlineData("https://shop.demo.example:8443")]
    [InlineData("null")]
    public async Task APreflightFromAWebsiteNoBrandListsGetsNoPermission(string origin)
    {
        using var preflight = await PreflightAsync("web/otp/generate", origin, "content-type");

        Assert.True(preflight.StatusCode is HttpStatusCode.NoContent, $"{(int)preflight.StatusCode}");
        Assert.Null(preflight.Header(AllowOrigin));
    }

    [Theory]
    [InlineData("HTTPS://Shop.Example.com:443/", "https://shop.example.com")]
    [InlineData("https://shop.example.com:8443", "https://shop.example.com:8443")]
    [InlineData("https://bücher.example", "https://xn--bcher-kva.example")]
    [InlineData("http://[::1]:5090", "http://[::1]:5090")]
    [InlineData("http://shop.localhost:5090", "http://shop.localhost:5090")]
    public void AnAllowedOriginIsKeptAsBrowsersSendIt(string configured, string sent) =>
        Assert.Equal(sent, Sessions.Grains.Configuration.WebOrigin.Normalize(configured, out _));

    [Fact]
    public async Task AResourceServersEndpointIsNotOpenedToWebsites()
    {
        using var preflight = await PreflightAsync("token/introspect", TestBrands.DemoWebsite, "content-type");

        Assert.Null(preflight.Header(AllowOrigin));
    }

    [Fact]
    public async Task ABrandsWebsiteLogsInAndItsScriptCanReadEveryAnswerRefusalsIncluded()
    {
        var browser = TestDevice.NewBrowser();

        var opened = await SessionsClient.Ok(Client.PostFromAsync(TestBrands.DemoWebsite, "web/token/generate", browser.Body()));
        var sent = await SessionsClient.Ok(Client.PostFromAsync(TestBrands.DemoWebsite, "web/otp/generate", browser.Body(("sessionId", opened.SessionId))));
        var otp = await Client.LatestOtpAsync(browser);
        var wrong = await Client.PostFromAsync(TestBrands.DemoWebsite, "web/otp/validate", browser.Body(("sessionId", opened.SessionId), ("otp", SessionsClient.WrongOtp(otp))));
        var login = await SessionsClient.Ok(Client.PostFromAsync(TestBrands.DemoWebsite, "web/otp/validate", browser.Body(("sessionId", opened.SessionId), ("otp", otp))));

        Assert.Equal(1506, wrong.Code);
        Assert.Equal("USER", login.Role);
        foreach (var answer in new[] { opened, sent, wrong, login })
        {
            Assert.Equal(TestBrands.DemoWebsite, answer.Raw.Header(AllowOrigin));
            Assert.Contains("Origin", answer.Raw.Header("Vary"), StringComparison.Ordinal);
        }
        var exposed = login.Raw.Header("Access-Control-Expose-Headers")!.ToLowerInvariant();
        Assert.Contains("dpop-nonce", exposed, StringComparison.Ordinal);
        Assert.Contains("retry-after", exposed, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AWebsiteCannotSendAnOtpForABrandThatDoesNotListIt()
    {
        var browser = TestDevice.NewBrowser();
        var opened = await SessionsClient.Ok(Client.PostAsync("web/token/generate", browser.Body()));

        var refused = await Client.PostFromAsync(TestBrands.SignedWebsite, "web/otp/generate", browser.Body(("sessionId", opened.SessionId)));

        Assert.Equal((HttpStatusCode.BadRequest, 1519), (refused.Status, refused.Code));
        Assert.Equal("Invalid details passed: the page's origin is not one of the brand's websites.", refused.Message);
        Assert.Equal(TestBrands.SignedWebsite, refused.Raw.Header(AllowOrigin));
        Assert.Null(await Client.LatestOtpOrNullAsync(browser));
    }

    [Fact]
    public async Task AWebsiteCannotMoveACustomerOfABrandThatDoesNotListIt()
    {
        var browser = TestDevice.NewBrowser();
        var login = await Client.WebLoginAsync(browser);
        var moved = browser with { IdentifierValue = TestDevice.NewMobile().IdentifierValue };

        var refused = await Client.PostFromAsync(TestBrands.SignedWebsite, "user/updateIdentifierValue",
            browser.Body(("token", login.Token), ("newIdentifierValue", moved.IdentifierValue)));

        Assert.Equal(1519, refused.Code);
        Assert.Null(await Client.LatestOtpOrNullAsync(moved));
        await SessionsClient.Ok(Client.PostAsync("web/token/regenerate", browser.Body(("expiredToken", login.Token))));
    }

    [Fact]
    public async Task APageOfTheApisOwnOriginIsServedWithoutCorsHeaders()
    {
        var browser = TestDevice.NewBrowser();

        var opened = await SessionsClient.Ok(Client.PostFromAsync("http://localhost", "web/token/generate", browser.Body()));

        Assert.Null(opened.Raw.Header(AllowOrigin));
    }

    private async Task<HttpResponseMessage> PreflightAsync(string path, string origin, string requestHeaders)
    {
        using var request = new HttpRequestMessage(HttpMethod.Options, "/auth/v1/" + path);
        request.Headers.Add("Origin", origin);
        request.Headers.Add("Access-Control-Request-Method", "POST");
        request.Headers.Add("Access-Control-Request-Headers", requestHeaders);
        return await Client.Http.SendAsync(request);
    }
}
