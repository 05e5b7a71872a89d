using Sessions.Api.OpenApi;
using Sessions.Api.Requests;
using Sessions.Api.Security;
using Sessions.Grains;
using Sessions.Grains.Contracts;

namespace Sessions.Api.Endpoints;

/// <summary>
/// The first factor (API.md §4.1) for the app under <c>/auth/v1</c>, and the same for browsers under
/// <c>/auth/v1/web</c> (§4.4): one set of handlers, told which channel they serve.
/// </summary>
public static class FirstFactorEndpoints
{
    public static IEndpointRouteBuilder MapFirstFactor(this IEndpointRouteBuilder routes)
    {
        MapChannel(routes, Channel.Mobile);
        MapChannel(routes, Channel.Web);
        return routes;
    }

    private static void MapChannel(IEndpointRouteBuilder routes, Channel channel)
    {
        var web = channel == Channel.Web;
        var flow = SessionFlow.Login;
        var group = routes.MapGroup(web ? "/auth/v1/web" : "/auth/v1")
            .WithTags(web ? "Web (browser)" : "First factor").RequireRateLimiting(RateLimiting.AuthPolicy).OpenToBrandWebsites();
        string Name(string name) => web ? "Web" + name : name;
        AuthError[] WebToo(AuthError[] errors) => web ? [.. errors, AuthError.InvalidDetails] : errors;
        var credential = web ? "USER or MFA_PENDING token of a new web family (auth.key null)" : "USER or MFA_PENDING token and primary key";

        group.MapPost("/token/generate", (AuthRequest r, AuthServices s) => AuthHandlers.OpenLoginAsync(r, s, channel))
            .WithName(Name("GenerateToken")).Documented<TokenGenerateRequest>("Open a login session (VIEW token + sessionId)", WebToo(Errors.OpenSession));
        group.MapPost("/otp/generate", (AuthRequest r, AuthServices s) => AuthHandlers.SendOtpAsync(r, s, flow, channel))
            .WithName(Name("GenerateOtp")).RequireRateLimiting(RateLimiting.OtpPolicy)
            .Documented<SessionRequest>("Send an OTP for the login session", WebToo(Errors.SendOtp));
        group.MapPost("/otp/validate", (AuthRequest r, AuthServices s) => AuthHandlers.ValidateOtpAsync(r, s, flow, channel))
            .WithName(Name("ValidateOtp")).Documented<OtpValidateRequest>($"Validate the OTP: {credential}", WebToo(Errors.ValidateOtp));
        group.MapPost("/password/validate", (AuthRequest r, AuthServices s) => AuthHandlers.ValidatePasswordAsync(r, s, flow, channel))
            .WithName(Name("ValidatePassword")).Documented<PasswordValidateRequest>($"Validate the password: {credential}", WebToo(Errors.ValidatePassword));
        var regenerate = group.MapPost("/token/regenerate", (AuthRequest r, AuthServices s) => AuthHandlers.RegenerateAsync(r, s, flow, channel))
            .WithName(Name("RegenerateToken"));
        if (web)
        {
            regenerate.Documented<WebRegenerateRequest>("Exchange the last web token, expired or not, for the next one (the family rotates)", WebToo(Errors.WebRegenerate));
        }
        else
        {
            regenerate.Documented<KeyRequest>("Exchange a primary key for a new token (and the rotated key)", Errors.Regenerate);
        }
        group.MapPost("/password/change", (AuthRequest r, AuthServices s) => PasswordHandlers.ChangeAsync(r, s, flow, channel))
            .WithName(Name("ChangePassword")).Documented<PasswordChangeRequest>(
                web ? "Change the password; revokes every other family of the customer, mobile and web" : "Change the password; revokes keys on other devices",
                WebToo(Errors.ChangePassword));
        group.MapPost("/password/forget", (AuthRequest r, AuthServices s) => PasswordHandlers.ForgetAsync(r, s, flow, channel))
            .WithName(Name("ForgetPassword")).Documented<PasswordForgetRequest>("Reset the password with the session's OTP; revokes every key and web family", WebToo(Errors.ResetPassword));
    }
}
