using Microsoft.Playwright;
using Sessions.Tests.Infrastructure;
using Xunit.Abstractions;

namespace Sessions.Tests.Browser;

/// <summary>
/// The support console (<c>/admin/</c>) in a real headless Chromium against the real service (a Kestrel process): a
/// support agent with an admin key finds a customer after real logins, sees their sessions and why the last one
/// ended, revokes one and then all, and the page renders hostile values as text and logs no error.
/// </summary>
[Collection(BrowserCollection.Name)]
public sealed class SupportConsoleTests(BrowserFixture fixture, ITestOutputHelper output)
{
    private const string HostileDeviceId = "<img src=x onerror=alert(1)>";

    [ChromiumFact]
    public async Task AWrongKeyIsRefusedWithAClearMessageAndShowsNothing()
    {
        var phone = TestDevice.NewMobile();
        await fixture.Api.Client.LoginAsync(phone);
        var page = await fixture.NewPageAsync();

        await page.GotoAsync(fixture.ConsoleUrl);
        await page.FillAsync("#admin-key", "not-the-key-0123456789-abcdefghijklmnop");
        await page.ClickAsync("#key-form button[type=submit]");

        await Assertions.Expect(page.Locator("#status")).ToHaveTextAsync("The admin key was refused (401). Check it and paste it again.");
        await Assertions.Expect(page.Locator("#key-state")).ToHaveTextAsync("No key.");
        await page.FillAsync("#identifier-value", phone.IdentifierValue);
        await page.ClickAsync("#search-form button[type=submit]");
        await Assertions.Expect(page.Locator("#status")).ToHaveTextAsync("Paste the admin key first (step 1).");
        Assert.False(await page.Locator("#customer-section").IsVisibleAsync());
        Assert.DoesNotContain("not-the-key", page.Url, StringComparison.Ordinal);
        Assert.Empty(await page.Context.CookiesAsync());
        Assert.Equal(0, await page.EvaluateAsync<int>("() => localStorage.length + sessionStorage.length"));
    }

    [ChromiumFact]
    public async Task SupportFindsTheCustomerSeesWhyTheLastSessionEndedAndLogsThemOutEverywhere()
    {
        var phone = TestDevice.NewMobile();
        var api = fixture.Api.Client;
        var first = await api.LoginAsync(phone);
        var second = await SessionsClient.Ok(api.PostAsync("token/regenerate", phone.Body(("key", first.Key))));
        await SessionsClient.Ok(api.PostAsync("token/regenerate", phone.Body(("key", second.Key))));
        Assert.Equal(1525, (await api.PostAsync("token/regenerate", phone.Body(("key", first.Key)))).Code);
        var hostile = await api.LoginAsync(phone.OnDevice(HostileDeviceId));
        var tablet = phone.OnDevice(TestDevice.NewDeviceId());
        await api.LoginAsync(tablet);
        var page = await fixture.NewPageAsync();
        var dialogs = 0;
        page.Dialog += (_, dialog) =>
        {
            dialogs++;
            _ = dialog.DismissAsync();
        };

        await PasteKeyAsync(page, BrowserFixture.AdminKey);
        await page.FillAsync("#identifier-value", "+" + phone.IdentifierValue);
        await page.PressAsync("#identifier-value", "Enter");

        await Assertions.Expect(page.Locator("#status")).ToHaveTextAsync("Found the customer.");
        var sessions = page.Locator("#sessions tbody tr");
        await Assertions.Expect(sessions).ToHaveCountAsync(2);
        await Assertions.Expect(page.Locator("#sessions td.device", new() { HasTextString = HostileDeviceId })).ToHaveTextAsync(HostileDeviceId);
        Assert.Equal(0, await page.Locator("#customer-section img").CountAsync());
        await Assertions.Expect(page.Locator("#events tbody tr", new() { HasTextString = "Key reuse detected" })).ToHaveCountAsync(1);
        await Assertions.Expect(page.Locator("#last-ended")).ToContainTextAsync("was used again");
        await Assertions.Expect(page.Locator("#customer-setup")).ToContainTextAsync("No password set; no second factor yet. Last login ");
        // The first phone's family was revoked for reuse, so its device session left the customer's list.
        await Assertions.Expect(page.Locator("#customer-setup")).ToContainTextAsync("(2 devices listed). Identifiers: MOBILE ********" + phone.IdentifierValue[^3..] + ".");
        Assert.DoesNotContain(phone.IdentifierValue, await page.Locator("#customer-section").InnerTextAsync(), StringComparison.Ordinal);
        var screenshot = await fixture.SaveScreenshotAsync(page, "support-console.png");
        output.WriteLine($"Screenshot of the console's main view: {screenshot}");

        await sessions.Filter(new() { HasTextString = tablet.DeviceId! }).GetByRole(AriaRole.Button, new() { Name = "Revoke…" }).ClickAsync();
        await Assertions.Expect(page.Locator("#confirm")).ToBeVisibleAsync();
        await page.ClickAsync("#confirm-yes");
        await Assertions.Expect(page.Locator("#status")).ToHaveTextAsync("Revoked one session.");
        await Assertions.Expect(sessions).ToHaveCountAsync(1);

        await page.ClickAsync("#revoke-all");
        await page.ClickAsync("#confirm-no");
        await Assertions.Expect(page.Locator("#status")).ToHaveTextAsync("Nothing was revoked.");
        await Assertions.Expect(sessions).ToHaveCountAsync(1);
        await page.ClickAsync("#revoke-all");
        await page.ClickAsync("#confirm-yes");
        await Assertions.Expect(page.Locator("#status")).ToHaveTextAsync("Logged out everywhere: 1 session(s) revoked.");
        await Assertions.Expect(page.Locator("#no-sessions")).ToBeVisibleAsync();
        await Assertions.Expect(page.Locator("#events tbody tr", new() { HasTextString = "support revoked it" })).ToHaveCountAsync(2);

        var afterwards = await api.PostAsync("token/regenerate", phone.OnDevice(HostileDeviceId).Body(("key", hostile.Key)));
        Assert.Equal(1597, afterwards.Code);
        Assert.Equal(0, dialogs);
        Assert.Empty(fixture.ConsoleErrors(page));
    }

    [ChromiumFact]
    public async Task SupportSeesWhyACustomerIsLockedOutAndLiftsTheLockAfterConfirming()
    {
        var api = fixture.Api.Client;
        var (phone, sessionId, right) = await LockedOutCustomerAsync();
        var newcomer = TestDevice.NewMobile(TestBrands.Guarded);
        var newcomerSession = await api.StartLoginAsync(newcomer);
        await api.GuessWrongAsync(newcomer, newcomerSession, await api.LatestOtpAsync(newcomer), 2);
        var page = await fixture.NewPageAsync();

        await PasteKeyAsync(page, BrowserFixture.AdminKey);
        await page.FillAsync("#brand", TestBrands.Guarded);
        await page.FillAsync("#identifier-value", newcomer.IdentifierValue);
        await page.PressAsync("#identifier-value", "Enter");

        await Assertions.Expect(page.Locator("#status")).ToHaveTextAsync("No customer holds this identifier.");
        await Assertions.Expect(page.Locator("#lock-state")).ToContainTextAsync("Not locked. Wrong codes or passwords in the last 30 minutes: 2 (it locks at 4).");
        await Assertions.Expect(page.Locator("#lift-lock")).ToHaveTextAsync("Forget wrong attempts…");
        await Assertions.Expect(page.Locator("#no-customer")).ToBeVisibleAsync();
        Assert.False(await page.Locator("#customer-section").IsVisibleAsync());

        await page.FillAsync("#identifier-value", phone.IdentifierValue);
        await page.PressAsync("#identifier-value", "Enter");
        await Assertions.Expect(page.Locator("#status")).ToHaveTextAsync("Found the customer.");
        await Assertions.Expect(page.Locator("#lock-state")).ToContainTextAsync("Locked until");
        await Assertions.Expect(page.Locator("#send-state")).ToContainTextAsync("2 of 3");
        await Assertions.Expect(page.Locator("#events tbody tr", new() { HasTextString = "Locked" })).ToContainTextAsync("all devices");
        await page.ClickAsync("#lift-lock");
        await page.ClickAsync("#confirm-no");
        await Assertions.Expect(page.Locator("#status")).ToHaveTextAsync("The lock stays.");
        var refused = await api.PostAsync("otp/validate", phone.Body(("sessionId", sessionId), ("otp", right)));
        await page.ClickAsync("#lift-lock");
        await Assertions.Expect(page.Locator("#confirm-text")).ToContainTextAsync("verified who is asking");
        await page.ClickAsync("#confirm-yes");

        await Assertions.Expect(page.Locator("#status")).ToHaveTextAsync("Lock lifted: the customer can log in again.");
        await Assertions.Expect(page.Locator("#lock-state")).ToContainTextAsync("Not locked.");
        await Assertions.Expect(page.Locator("#lift-lock")).ToBeHiddenAsync();
        await Assertions.Expect(page.Locator("#events tbody tr", new() { HasTextString = "Lock lifted" })).ToContainTextAsync("support lifted the lock (admin key support)");
        Assert.Equal(1550, refused.Code);
        Assert.True((await api.PostAsync("otp/validate", phone.Body(("sessionId", sessionId), ("otp", right)))).Success);
        Assert.DoesNotContain(phone.IdentifierValue, await page.Locator("#customer-section").InnerTextAsync(), StringComparison.Ordinal);
        // Chromium reports every 404 as a console error; the newcomer's lookup answered one ("no customer holds it").
        Assert.Single(fixture.ConsoleErrors(page), e => e.Contains("status of 404", StringComparison.Ordinal));
        Assert.Single(fixture.ConsoleErrors(page));
    }

    [ChromiumFact]
    public async Task AReadOnlyKeyForOneBrandSeesTheCustomerAndTheLockButOffersNoAction()
    {
        var (phone, _, _) = await LockedOutCustomerAsync();
        var page = await fixture.NewPageAsync();

        await PasteKeyAsync(page, BrowserFixture.ReaderKey);
        await Assertions.Expect(page.Locator("#key-state")).ToHaveTextAsync("Key 'reader' is held for this tab: brand(s) GUARDED, read only.");
        await Assertions.Expect(page.Locator("#brand")).ToHaveValueAsync(TestBrands.Guarded);
        await page.FillAsync("#identifier-value", phone.IdentifierValue);
        await page.PressAsync("#identifier-value", "Enter");

        await Assertions.Expect(page.Locator("#status")).ToHaveTextAsync("Found the customer.");
        await Assertions.Expect(page.Locator("#lock-state")).ToContainTextAsync("Locked until");
        await Assertions.Expect(page.Locator("#sessions tbody tr")).ToHaveCountAsync(1);
        Assert.Equal(0, await page.Locator("#customer-section button", new() { HasTextString = "Revoke" }).CountAsync());
        Assert.False(await page.Locator("#revoke-all").IsVisibleAsync());
        Assert.False(await page.Locator("#lift-lock").IsVisibleAsync());
        await page.FillAsync("#brand", TestBrands.Demo);
        await page.PressAsync("#identifier-value", "Enter");
        await Assertions.Expect(page.Locator("#status")).ToHaveTextAsync("The admin key 'reader' is not for brand DEMO.");
        Assert.False(await page.Locator("#identifier-section").IsVisibleAsync());
    }

    [ChromiumFact]
    public async Task AnAgentWhoTypesOnWhileTheKeyIsCheckedKeepsTheirTypingAndTheirSearchWaitsForTheKey()
    {
        var (phone, _, _) = await LockedOutCustomerAsync();

        // Typing into the brand while the key is checked: the check's end does not take the focus away mid-word.
        var typing = await fixture.NewPageAsync();
        var typingCheck = await HoldKeyCheckAsync(typing);
        await PasteKeyAsync(typing, BrowserFixture.AdminKey);
        await typing.FillAsync("#brand", "GUAR");
        typingCheck.SetResult();
        await Assertions.Expect(typing.Locator("#key-state")).ToContainTextAsync("is held for this tab");
        await typing.Keyboard.TypeAsync("DED");

        // A search sent while the key is checked waits for the check instead of failing for no key.
        var searching = await fixture.NewPageAsync();
        var searchingCheck = await HoldKeyCheckAsync(searching);
        await PasteKeyAsync(searching, BrowserFixture.AdminKey);
        await searching.FillAsync("#brand", TestBrands.Guarded);
        await searching.FillAsync("#identifier-value", phone.IdentifierValue);
        await searching.PressAsync("#identifier-value", "Enter");
        searchingCheck.SetResult();

        await Assertions.Expect(typing.Locator("#brand")).ToHaveValueAsync(TestBrands.Guarded);
        await Assertions.Expect(typing.Locator("#identifier-value")).ToHaveValueAsync("");
        await Assertions.Expect(searching.Locator("#status")).ToHaveTextAsync("Found the customer.");
        await Assertions.Expect(searching.Locator("#lock-state")).ToContainTextAsync("Locked until");
    }

    [ChromiumFact]
    public async Task AKeyReplacedWhileItIsCheckedIsDescribedByItsOwnCheckNotByTheFirstKeysLateOne()
    {
        var page = await fixture.NewPageAsync();
        var firstCheck = await HoldKeyCheckAsync(page);
        await PasteKeyAsync(page, BrowserFixture.AdminKey);
        await page.FillAsync("#admin-key", BrowserFixture.ReaderKey);
        await page.PressAsync("#admin-key", "Enter");
        await Assertions.Expect(page.Locator("#key-state")).ToHaveTextAsync("Key 'reader' is held for this tab: brand(s) GUARDED, read only.");

        var firstAnswered = page.WaitForRequestFinishedAsync(new() { Predicate = request => request.Url.EndsWith("/admin/v1/key", StringComparison.Ordinal) });
        firstCheck.SetResult();
        await firstAnswered;
        // The page's own turns after the answer (reading its body, the handler) run before this timer's.
        await page.EvaluateAsync("() => new Promise(resolve => setTimeout(resolve, 250))");

        Assert.Equal("Key 'reader' is held for this tab: brand(s) GUARDED, read only.", await page.Locator("#key-state").TextContentAsync());
        Assert.Equal(TestBrands.Guarded, await page.Locator("#brand").InputValueAsync());
    }

    [Fact]
    public async Task ThePageIsServedOnlyWithAdminKeysAndUnderAStrictContentSecurityPolicy()
    {
        using var http = new HttpClient { BaseAddress = new Uri(fixture.ConsoleUrl) };
        using var page = await http.GetAsync("/admin/");
        await using var withoutKeys = new ApiFactory();

        var policy = string.Join(' ', page.Headers.GetValues("Content-Security-Policy"));
        Assert.Contains("default-src 'none'", policy, StringComparison.Ordinal);
        Assert.Contains("script-src 'self'", policy, StringComparison.Ordinal);
        Assert.DoesNotContain("unsafe-inline", policy, StringComparison.Ordinal);
        Assert.Contains("frame-ancestors 'none'", policy, StringComparison.Ordinal);
        var html = await page.Content.ReadAsStringAsync();
        Assert.DoesNotContain("<script>", html, StringComparison.Ordinal);
        Assert.DoesNotMatch("(src|href)=\"(https?:)?//", html);
        Assert.Equal(System.Net.HttpStatusCode.NotFound, (await withoutKeys.CreateClient().GetAsync("/admin/")).StatusCode);
        Assert.Equal(System.Net.HttpStatusCode.NotFound, (await withoutKeys.CreateClient().GetAsync("/admin/console.js")).StatusCode);
    }

    /// <summary>A GUARDED customer whose identifier is locked: their login session, with its right code, waits behind the lock.</summary>
    /// <summary>Opens the console and pastes <paramref name="key"/> as an agent does (Enter; the page checks it meanwhile).</summary>
    private async Task PasteKeyAsync(IPage page, string key)
    {
        await page.GotoAsync(fixture.ConsoleUrl);
        await page.FillAsync("#admin-key", key);
        await page.PressAsync("#admin-key", "Enter");
    }

    /// <summary>Holds the page's first check of a pasted key (<c>GET /admin/v1/key</c>) until the test sets the result; later ones pass.</summary>
    private static async Task<TaskCompletionSource> HoldKeyCheckAsync(IPage page)
    {
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var checks = 0;
        await page.RouteAsync("**/admin/v1/key", async route =>
        {
            if (Interlocked.Increment(ref checks) == 1)
            {
                await release.Task;
            }
            await route.ContinueAsync();
        });
        return release;
    }

    private async Task<(TestDevice Phone, string SessionId, string RightOtp)> LockedOutCustomerAsync()
    {
        var phone = TestDevice.NewMobile(TestBrands.Guarded);
        await fixture.Api.Client.LoginAsync(phone);
        var (sessionId, right) = await fixture.Api.Client.LockOutAsync(phone);
        return (phone, sessionId, right);
    }
}
