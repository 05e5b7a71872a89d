using System.Reflection;
using Microsoft.Extensions.Options;

namespace Sessions.Api.Admin;

/// <summary>
/// The support console at <c>/admin/</c>: a static page over <c>/admin/v1</c>, served only when admin keys are
/// configured (like the API it calls). Its files are embedded in the assembly, so it works in a closed network with
/// nothing else deployed, under a Content-Security-Policy that allows only its own script, style and calls.
/// </summary>
public static class AdminConsole
{
    public const string Path = "/admin/";

    private const string ContentSecurityPolicy =
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; " +
        "base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

    private static readonly (string Route, string Resource, string ContentType)[] Files =
    [
        ("/admin/", "index.html", "text/html; charset=utf-8"),
        ("/admin/console.js", "console.js", "text/javascript; charset=utf-8"),
        ("/admin/console.css", "console.css", "text/css; charset=utf-8"),
        ("/admin/favicon.svg", "favicon.svg", "image/svg+xml"),
    ];

    public static WebApplication MapSessionsAdminConsole(this WebApplication app)
    {
        if (app.Services.GetRequiredService<IOptions<AdminOptions>>().Value.ApiKeys.Count == 0)
        {
            return app;
        }

        foreach (var (route, resource, contentType) in Files)
        {
            var content = Read(resource);
            app.MapGet(route, (HttpContext context) =>
            {
                if (route == Path && context.Request.Path.Value?.EndsWith('/') != true)
                {
                    // Routing matches /admin too; the page's relative links need the slash.
                    return Results.Redirect(Path);
                }
                var headers = context.Response.Headers;
                headers.ContentSecurityPolicy = ContentSecurityPolicy;
                headers.XContentTypeOptions = "nosniff";
                headers.XFrameOptions = "DENY";
                headers["Referrer-Policy"] = "no-referrer";
                headers.CacheControl = "no-store";
                return Results.Bytes(content, contentType);
            }).ExcludeFromDescription();
        }
        return app;
    }

    private static byte[] Read(string resource)
    {
        using var stream = Assembly.GetExecutingAssembly().GetManifestResourceStream($"Sessions.Api.Admin.Console.{resource}")
            ?? throw new InvalidOperationException($"The console file {resource} is not embedded in the build.");
        using var copy = new MemoryStream();
        stream.CopyTo(copy);
        return copy.ToArray();
    }
}
