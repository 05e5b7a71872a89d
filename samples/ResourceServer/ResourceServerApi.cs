using Sessions.ResourceServer;

namespace Sessions.Samples.ResourceServer;

public static class ResourceServerApi
{
    /// <summary>The API: authentication, then the one endpoint, for USER tokens only (an MFA_PENDING token has not passed MFA).</summary>
    public static WebApplication MapResourceServerApi(this WebApplication app)
    {
        app.UseAuthentication();
        app.UseAuthorization();
        app.MapGet("/me", (HttpContext context) => Results.Ok(new { customerId = context.User.FindFirst("uid")?.Value }))
            .RequireAuthorization(SessionsTokens.UserPolicy);
        return app;
    }
}
