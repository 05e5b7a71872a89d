// A brand's own website that signs its customers in with the service from the browser, on another origin than the
// service's (README, "Walk-through: a browser"). The pages are static; the service's address and the brand come from
// configuration. The brand must list this site's origin in Sessions:Brands:<brand>:Web:AllowedOrigins.
var builder = WebApplication.CreateSlimBuilder(args);
var app = builder.Build();

var sessions = new Uri(app.Configuration["Sessions:Url"] ?? "http://localhost:5080");
var site = new { sessions = sessions.GetLeftPart(UriPartial.Authority), brand = app.Configuration["Sessions:Brand"] ?? "demo" };

app.Use((context, next) =>
{
    // The page holds the customer's token: no script but its own, and it talks only to itself and the service.
    context.Response.Headers.ContentSecurityPolicy =
        $"default-src 'self'; connect-src 'self' {site.sessions}; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";
    return next(context);
});
app.UseDefaultFiles();
app.UseStaticFiles();
app.MapGet("/site.json", () => Results.Json(site));

app.Run();
