using Microsoft.Extensions.Options;
using Orleans.Dashboard;
using Sessions.Api.Envelope;
using Sessions.Api.Security;

namespace Sessions.Api.Operations;

/// <summary>The <c>Sessions:Dashboard</c> section: the Orleans Dashboard at <c>/dashboard</c>, off unless enabled.</summary>
public sealed class DashboardOptions
{
    public const string SectionName = "Sessions:Dashboard";

    public bool Enabled { get; set; }
    public string? Username { get; set; }

    /// <summary>At least 16 characters. The dashboard shows grain state, so it is never open.</summary>
    public string? Password { get; set; }
}

/// <summary>
/// The Orleans Dashboard behind HTTP Basic authentication with a configured credential: it shows grain state
/// (key ids, hashes), so it is only mapped when <c>Sessions:Dashboard:Enabled</c> is set, and never without a password.
/// </summary>
public static class Dashboard
{
    public const string Path = "/dashboard";

    public static bool IsEnabled(IConfiguration configuration) => configuration.GetValue<bool>($"{DashboardOptions.SectionName}:Enabled");

    public static WebApplicationBuilder AddSessionsDashboardOptions(this WebApplicationBuilder builder)
    {
        builder.Services.AddOptions<DashboardOptions>().BindConfiguration(DashboardOptions.SectionName)
            .Validate(o => !o.Enabled || !string.IsNullOrWhiteSpace(o.Username) && o.Password?.Length >= 16,
                "Sessions:Dashboard:Username and Sessions:Dashboard:Password (16+ characters) must be set when Sessions:Dashboard:Enabled is true.")
            .ValidateOnStart();
        return builder;
    }

    public static WebApplication MapSessionsDashboard(this WebApplication app)
    {
        if (!IsEnabled(app.Configuration))
        {
            return app;
        }

        var options = app.Services.GetRequiredService<IOptions<DashboardOptions>>().Value;
        var expected = Secrets.Digest($"{options.Username}:{options.Password}");
        app.UseWhen(context => context.Request.Path.StartsWithSegments(Path), branch => branch.Use(async (context, next) =>
        {
            if (!Authorized(context.Request, expected))
            {
                context.Response.Headers.WWWAuthenticate = "Basic realm=\"sessions-dashboard\"";
                await EnvelopeWriter.WriteAsync(context, EnvelopeResult.Transport(StatusCodes.Status401Unauthorized, "Dashboard credentials required."));
                return;
            }
            await next(context);
        }));
        app.MapOrleansDashboard(Path);
        return app;
    }

    private static bool Authorized(HttpRequest request, byte[] expected) =>
        Secrets.TryReadBasic(request, out var user, out var password) && Secrets.Matches($"{user}:{password}", expected);
}
