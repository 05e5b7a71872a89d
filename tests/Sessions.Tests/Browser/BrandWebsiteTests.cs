using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Playwright;
using Sessions.Tests.Infrastructure;

namespace Sessions.Tests.Browser;

/// <summary>
/// A brand's website signs its customers in from the browser, across origins (the web flow of API.md §4.4): headless
/// Chromium drives the sample website against the API on another origin, runs the script pages of other websites
/// would, and enforces CORS as it does for customers.
/// </summary>
[Collection(BrowserCollection.Name)]
public sealed class BrandWebsiteTests(BrowserFixture fixture)
{
    [ChromiumFact]
    public async Task TheSampleWebsiteSignsTheCustomerInWithACodeAndRenewsTheTokenKeepingItOnlyInMemory()
    {
        var customer = new TestDevice(TestBrands.Demo, "EMAIL", $"web-{Guid.NewGuid():N}@example.com", null);

        var page = await SignInThroughTheSampleAsync(customer);
        var first = await page.Locator("#token-id").InnerTextAsync();
        await page.ClickAsync("#renew");
        await Assertions.Expect(page.Locator("#status")).ToHaveTextAsync("Token renewed.");

        Assert.NotEqual(first, await page.Locator("#token-id").InnerTextAsync());
        Assert.Empty(await page.Context.CookiesAsync());
        Assert.Equal(0, await page.EvaluateAsync<int>("() => localStorage.length + sessionStorage.length"));
        Assert.Empty(fixture.ConsoleErrors(page));
    }

    [ChromiumFact]
    public async Task TheSampleWebsitesFormsCannotBeSentUntilItsScriptListens()
    {
        var customer = new TestDevice(TestBrands.Demo, "EMAIL", $"web-{Guid.NewGuid():N}@example.com", null);
        var page = await fixture.NewPageAsync();
        var settingsHeld = new TaskCompletionSource();
        // The script fetches the site's settings before it listens to its forms; held here, it cannot get that far.
        await page.RouteAsync("**/site.json", async route =>
        {
            await settingsHeld.Task;
            await route.ContinueAsync();
        });
        await page.GotoAsync($"{BrowserFixture.DemoWebsite}/", new() { WaitUntil = WaitUntilState.DOMContentLoaded });
        var send = page.Locator("#email-form button[type=submit]");

        await page.FillAsync("#email", customer.IdentifierValue);
        // The keyboard's press waits for no navigation: were the button open, the browser's own submission would
        // reload the page.
        await page.FocusAsync("#email");
        await page.Keyboard.PressAsync("Enter");
        await Assertions.Expect(send).ToBeDisabledAsync();
        Assert.Equal($"{BrowserFixture.DemoWebsite}/", page.Url);
        Assert.Equal(customer.IdentifierValue, await page.InputValueAsync("#email"));

        settingsHeld.SetResult();
        await Assertions.Expect(send).ToBeEnabledAsync();
        await SignInAsync(page, customer);
    }

    [ChromiumFact]
    public async Task ASampleWebsiteThatCannotLoadItsSettingsSaysSoAndKeepsItsFormsClosed()
    {
        var page = await fixture.NewPageAsync();
        await page.RouteAsync("**/site.json", route => route.FulfillAsync(new() { Status = 503, Body = "unavailable" }));

        await ExpectThePageClosedAsync(page, "Sign-in is not available right now: this page could not start. Please reload it in a moment.");
    }

    [ChromiumFact]
    public async Task ASampleWebsiteInABrowserWithoutWebCryptoSaysWhySignInIsUnavailable()
    {
        var page = await fixture.NewPageAsync();
        // As on a copy of the page served over plain HTTP from another host than localhost: no secure context, no WebCrypto.
        await page.AddInitScriptAsync("Object.defineProperty(Crypto.prototype, 'subtle', { get: () => undefined })");

        await ExpectThePageClosedAsync(page, "Sign-in needs this page to be served over HTTPS, in a browser that supports WebCrypto.");
    }

    [ChromiumFact]
    public async Task TheSampleWebsiteBindsItsSessionToAKeyThePageCannotExportSoACopiedTokenIsRefused()
    {
        var customer = new TestDevice(TestBrands.Demo, "EMAIL", $"web-{Guid.NewGuid():N}@example.com", null);
        var tokens = new System.Collections.Concurrent.ConcurrentQueue<string>();
        var page = await OpenAsync(BrowserFixture.DemoWebsite);
        page.Response += async (_, response) =>
        {
            if (response.Url.EndsWith("/web/otp/validate", StringComparison.Ordinal) || response.Url.EndsWith("/web/token/regenerate", StringComparison.Ordinal))
            {
                tokens.Enqueue((await response.JsonAsync())!.Value.GetProperty("auth").GetProperty("token").GetString()!);
            }
        };

        await SignInAsync(page, customer);
        await Assertions.Expect(page.Locator("#binding")).ToHaveTextAsync("bound to this page's device key");
        await page.ClickAsync("#renew");
        await Assertions.Expect(page.Locator("#status")).ToHaveTextAsync("Token renewed.");
        await page.ClickAsync("#list-devices");
        await Assertions.Expect(page.Locator("#status")).ToHaveTextAsync("Signed in on 1 devices and browsers.");
        // What a thief who copied the page's token out of a log sends, without the key the page holds.
        for (var waited = 0; waited < 50 && tokens.Count < 2; waited++)
        {
            await Task.Delay(100);
        }
        var copied = tokens.Last();
        var listed = await fixture.Api.Client.PostAsync("user/sessions", customer.Body(("token", copied)));
        var renewed = await fixture.Api.Client.PostAsync("web/token/regenerate", customer.Body(("expiredToken", copied)));

        Assert.Equal(2, tokens.Count);
        Assert.True(Jwt.Payload(copied).TryGetProperty("cnf", out _));
        Assert.Equal(1562, listed.Code);
        Assert.Equal(1562, renewed.Code);
        Assert.Empty(fixture.ConsoleErrors(page));
    }

    [ChromiumFact]
    public async Task TheSampleWebsiteRenewsWithTheSameTokenWhenTheServiceCouldNotBeReached()
    {
        var customer = new TestDevice(TestBrands.Demo, "EMAIL", $"web-{Guid.NewGuid():N}@example.com", null);
        var page = await SignInThroughTheSampleAsync(customer);
        var first = await page.Locator("#token-id").InnerTextAsync();
        var regenerate = $"http://127.0.0.1:{fixture.Api.Port}/auth/v1/web/token/regenerate";
        var sent = new List<string?>();
        page.Request += (_, request) =>
        {
            if (request.Url == regenerate)
            {
                sent.Add(request.PostData);
            }
        };

        await page.RouteAsync(regenerate, route => route.AbortAsync(), new() { Times = 1 });
        await page.ClickAsync("#renew");
        await Assertions.Expect(page.Locator("#status")).ToHaveTextAsync("The service cannot be reached. Trying again in 10 seconds.");
        await Assertions.Expect(page.Locator("#status")).ToHaveTextAsync("Token renewed.", new() { Timeout = 20_000 });

        Assert.NotEqual(first, await page.Locator("#token-id").InnerTextAsync());
        Assert.Equal(2, sent.Count);
        Assert.Equal(sent[0], sent[1]);
    }

    [ChromiumFact]
    public async Task TheSampleWebsiteListsWhereTheCustomerIsSignedInAsTextAndSignsTheOtherDevicesOut()
    {
        var customer = new TestDevice(TestBrands.Demo, "EMAIL", $"web-{Guid.NewGuid():N}@example.com", null);
        // An app may send any printable device id: the page must show it, not run it.
        var phone = customer.OnDevice("<img src=x onerror=window.pwned=1>");
        var app = await fixture.Api.Client.LoginAsync(phone);
        var page = await SignInThroughTheSampleAsync(customer);

        await page.ClickAsync("#list-devices");
        await Assertions.Expect(page.Locator("#status")).ToHaveTextAsync("Signed in on 2 devices and browsers.");
        var listed = await page.Locator("#devices li").AllInnerTextsAsync();
        await page.ClickAsync("#sign-out-others");
        await Assertions.Expect(page.Locator("#status")).ToHaveTextAsync("Signed out 1 other session.");

        Assert.Contains(listed, item => item.StartsWith($"The app on {phone.DeviceId}, signed in ", StringComparison.Ordinal));
        Assert.Contains(listed, item => item.StartsWith("A browser, signed in ", StringComparison.Ordinal) && item.EndsWith("(this page)", StringComparison.Ordinal));
        Assert.Equal(0, await page.Locator("#devices img").CountAsync());
        Assert.True(await page.EvaluateAsync<bool>("() => window.pwned === undefined"));
        Assert.EndsWith("(this page)", Assert.Single(await page.Locator("#devices li").AllInnerTextsAsync()));
        Assert.Equal(1597, (await fixture.Api.Client.PostAsync("token/regenerate", phone.Body(("key", app.Key)))).Code);
        Assert.Empty(fixture.ConsoleErrors(page));
    }

    [ChromiumFact]
    public async Task ThePageOfASessionSignedOutFromTheAppAsksForANewSignInAtItsNextAccountCall()
    {
        var customer = new TestDevice(TestBrands.Demo, "EMAIL", $"web-{Guid.NewGuid():N}@example.com", null);
        var page = await SignInThroughTheSampleAsync(customer);
        var phone = customer.OnDevice("phone-1");
        var app = await fixture.Api.Client.LoginAsync(phone);
        await SessionsClient.Ok(fixture.Api.Client.PostAsync("user/sessions/revokeOthers", phone.Body(("token", app.Token))));

        await page.ClickAsync("#list-devices");

        await Assertions.Expect(page.Locator("#status")).ToHaveTextAsync("Your session ended: Token is not valid. Please sign in again.");
        await Assertions.Expect(page.Locator("#email-form")).ToBeVisibleAsync();
        await Assertions.Expect(page.Locator("#account")).ToBeHiddenAsync();
        // The browser logs the 401 itself; the page's script raised nothing.
        Assert.All(fixture.ConsoleErrors(page), error => Assert.StartsWith("Failed to load resource: the server responded with a status of 401", error));
    }

    [ChromiumFact]
    public async Task SigningOutOfTheSampleWebsiteEndsItsSessionAtTheService()
    {
        var customer = new TestDevice(TestBrands.Demo, "EMAIL", $"web-{Guid.NewGuid():N}@example.com", null);
        var phone = customer.OnDevice("phone-1");
        var app = await fixture.Api.Client.LoginAsync(phone);
        var page = await SignInThroughTheSampleAsync(customer);
        async Task<int> SignedInAsync() =>
            (await fixture.Api.Client.PostAsync("user/sessions", phone.Body(("token", app.Token)))).Body.GetProperty("sessions").GetArrayLength();
        var before = await SignedInAsync();

        await page.ClickAsync("#sign-out");
        await Assertions.Expect(page.Locator("#status")).ToHaveTextAsync("Signed out.");

        Assert.Equal((2, 1), (before, await SignedInAsync()));
        Assert.Empty(fixture.ConsoleErrors(page));
    }

    [ChromiumFact]
    public async Task APageOfAWebsiteNoBrandListsCannotCallAndNoOtpIsSent()
    {
        var browser = TestDevice.NewBrowser();
        var opened = await SessionsClient.Ok(fixture.Api.Client.PostAsync("web/token/generate", browser.Body()));
        var page = await OpenAsync(BrowserFixture.OtherWebsite);

        var blocked = await FetchAsync(page, "web/otp/generate", browser.Body(("sessionId", opened.SessionId)));

        Assert.Equal("TypeError: Failed to fetch", blocked.Error);
        Assert.Null(await fixture.Api.Client.LatestOtpOrNullAsync(browser));
    }

    [ChromiumFact]
    public async Task APageOfAnotherBrandsWebsiteIsToldItMayNotActForThisBrand()
    {
        var browser = TestDevice.NewBrowser();
        var opened = await SessionsClient.Ok(fixture.Api.Client.PostAsync("web/token/generate", browser.Body()));
        var page = await OpenAsync(BrowserFixture.SignedWebsite);

        var refused = await FetchAsync(page, "web/otp/generate", browser.Body(("sessionId", opened.SessionId)));

        Assert.Equal(400, refused.Status);
        Assert.Equal(1519, refused.Envelope.GetProperty("status").GetProperty("code").GetInt32());
        Assert.Null(await fixture.Api.Client.LatestOtpOrNullAsync(browser));
    }

    /// <summary>The sample website's page on DEMO's website, its customer signed in with the code the dev outbox holds.</summary>
    private async Task<IPage> SignInThroughTheSampleAsync(TestDevice customer)
    {
        var page = await OpenAsync(BrowserFixture.DemoWebsite);
        await SignInAsync(page, customer);
        return page;
    }

    private async Task SignInAsync(IPage page, TestDevice customer)
    {
        await page.FillAsync("#email", customer.IdentifierValue);
        await page.ClickAsync("#email-form button[type=submit]");
        await Assertions.Expect(page.Locator("#status")).ToHaveTextAsync($"We sent a code to {customer.IdentifierValue}.");
        await page.FillAsync("#code", await fixture.Api.Client.LatestOtpAsync(customer));
        await page.ClickAsync("#code-form button[type=submit]");
        await Assertions.Expect(page.Locator("#status")).ToHaveTextAsync($"Signed in as {customer.IdentifierValue}.");
    }

    /// <summary>The sample website's page, loaded: it says <paramref name="message"/> and its form cannot be sent.</summary>
    private static async Task ExpectThePageClosedAsync(IPage page, string message)
    {
        await page.GotoAsync($"{BrowserFixture.DemoWebsite}/");

        await Assertions.Expect(page.Locator("#status")).ToHaveTextAsync(message);
        await Assertions.Expect(page.Locator("#email-form button[type=submit]")).ToBeDisabledAsync();
    }

    /// <summary>The sample website's page as <paramref name="website"/> serves it; the test's script runs in it as the page's own would.</summary>
    private async Task<IPage> OpenAsync(string website)
    {
        var page = await fixture.NewPageAsync();
        await page.GotoAsync($"{website}/");
        return page;
    }

    /// <summary><c>fetch</c> of an <c>/auth/v1</c> endpoint of the API's own origin, from the page: the answer, or the error the script sees.</summary>
    private async Task<FetchResult> FetchAsync(IPage page, string path, JsonObject body)
    {
        var result = await page.EvaluateAsync<string>("""
            async ([url, body]) => {
              try {
                const response = await fetch(url, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body });
                return JSON.stringify({ status: response.status, envelope: await response.json() });
              } catch (error) {
                return JSON.stringify({ error: String(error) });
              }
            }
            """, new[] { $"http://127.0.0.1:{fixture.Api.Port}/auth/v1/{path}", body.ToJsonString() });
        using var answer = JsonDocument.Parse(result);
        var root = answer.RootElement;
        return root.TryGetProperty("error", out var error)
            ? new FetchResult(0, default, error.GetString())
            : new FetchResult(root.GetProperty("status").GetInt32(), root.GetProperty("envelope").Clone(), null);
    }

    private sealed record FetchResult(int Status, JsonElement Envelope, string? Error);
}
