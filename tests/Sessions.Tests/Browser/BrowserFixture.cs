using Microsoft.Playwright;
using Sessions.Tests.Infrastructure;

namespace Sessions.Tests.Browser;

/// <summary>
/// The service as a process with an admin key, the sample brand website (<c>samples/BrandWebsite</c>) as another on
/// <see cref="WebsitePort"/>, and one headless Chromium for the collection. Chromium takes every <c>*.localhost</c> name
/// for loopback, so each name below is a website of its own served by the sample: DEMO lists <see cref="DemoWebsite"/>,
/// SIGNED <see cref="SignedWebsite"/>, and no brand <see cref="OtherWebsite"/>.
/// </summary>
public sealed class BrowserFixture : IAsyncLifetime
{
    public const string AdminKey = "support-console-key-0123456789-abcdefghijk";

    /// <summary>A key that may only read, and only GUARDED.</summary>
    public const string ReaderKey = "support-reader-key-0123456789-abcdefghijkl";

    private static readonly int WebsitePort = FreePort.Next();

    private readonly Dictionary<IPage, List<string>> _errors = [];
    private IPlaywright? _playwright;
    private IBrowser? _browser;
    private WebsiteProcess? _website;

    public ApiProcess Api { get; } = new(new()
    {
        ["Sessions:Admin:ApiKeys:0:Id"] = "support",
        ["Sessions:Admin:ApiKeys:0:Key"] = AdminKey,
        ["Sessions:Admin:ApiKeys:1:Id"] = "reader",
        ["Sessions:Admin:ApiKeys:1:Key"] = ReaderKey,
        ["Sessions:Admin:ApiKeys:1:Brands:0"] = TestBrands.Guarded,
        ["Sessions:Admin:ApiKeys:1:ReadOnly"] = "true",
        [$"Sessions:Brands:{TestBrands.Demo}:Web:AllowedOrigins:1"] = DemoWebsite,
        // The sample website binds its sessions to a WebCrypto key where the brand binds devices, as the Development DEMO does.
        [$"Sessions:Brands:{TestBrands.Demo}:DeviceBinding"] = "Optional",
        [$"Sessions:Brands:{TestBrands.Demo}:RequireProofForBoundTokens"] = "true",
        [$"Sessions:Brands:{TestBrands.Signed}:Web:AllowedOrigins:1"] = SignedWebsite,
    });

    public static string DemoWebsite => $"http://shop.localhost:{WebsitePort}";

    public static string SignedWebsite => $"http://signed.localhost:{WebsitePort}";

    /// <summary>A website that no brand lists.</summary>
    public static string OtherWebsite => $"http://other.localhost:{WebsitePort}";

    public string ConsoleUrl => $"http://127.0.0.1:{Api.Port}/admin/";

    public async Task InitializeAsync()
    {
        await Api.StartAsync();
        if (ChromiumFactAttribute.Executable is { } chromium)
        {
            _playwright = await Playwright.CreateAsync();
            _browser = await _playwright.Chromium.LaunchAsync(new() { ExecutablePath = chromium, Headless = true });
            _website = new WebsiteProcess(WebsitePort, Api.Port);
            await _website.StartAsync();
        }
    }

    public async Task DisposeAsync()
    {
        if (_browser is not null)
        {
            await _browser.DisposeAsync();
        }
        _playwright?.Dispose();
        if (_website is not null)
        {
            await _website.DisposeAsync();
        }
        await Api.DisposeAsync();
    }

    /// <summary>A fresh tab (its own context: no cookies or storage shared) whose console errors are collected.</summary>
    public async Task<IPage> NewPageAsync()
    {
        var context = await _browser!.NewContextAsync(new() { ViewportSize = new() { Width = 1366, Height = 900 } });
        var page = await context.NewPageAsync();
        var errors = new List<string>();
        _errors[page] = errors;
        page.Console += (_, message) =>
        {
            if (message.Type == "error")
            {
                errors.Add(message.Text);
            }
        };
        page.PageError += (_, error) => errors.Add(error);
        return page;
    }

    public IReadOnlyList<string> ConsoleErrors(IPage page) => _errors[page];

    /// <summary>Saves a screenshot under <c>artifacts/</c> at the repository's root (CI keeps it); answers its path.</summary>
    public async Task<string> SaveScreenshotAsync(IPage page, string name)
    {
        var path = Path.Combine(Repository.Root, "artifacts", name);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        await page.ScreenshotAsync(new() { Path = path, FullPage = true });
        return path;
    }
}

[CollectionDefinition(Name)]
public sealed class BrowserCollection : ICollectionFixture<BrowserFixture>
{
    public const string Name = "browser";
}

/// <summary>A test that drives Chromium: it runs where one is installed (CI installs Debian's <c>chromium</c>).</summary>
public sealed class ChromiumFactAttribute : FactAttribute
{
    public ChromiumFactAttribute()
    {
        if (Executable is null)
        {
            Skip = "needs Chromium (apt-get install chromium, or SESSIONS_TEST_CHROMIUM=/path/to/chrome; .ci/run installs it)";
        }
    }

    public static string? Executable =>
        new[] { Environment.GetEnvironmentVariable("SESSIONS_TEST_CHROMIUM"), "/usr/bin/chromium", "/usr/bin/chromium-browser" }
            .FirstOrDefault(path => !string.IsNullOrEmpty(path) && File.Exists(path));
}
