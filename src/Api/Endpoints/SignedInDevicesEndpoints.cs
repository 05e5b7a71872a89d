using Sessions.Api.Envelope;
using Sessions.Api.OpenApi;
using Sessions.Api.Requests;
using Sessions.Api.Security;
using Sessions.Api.Tokens;
using Sessions.Grains;
using Sessions.Grains.Contracts;

namespace Sessions.Api.Endpoints;

/// <summary>
/// The customer's signed-in devices, beyond the contract (README, "Signed-in devices"): with a USER token of a live
/// family, from the app or the brand's website, the customer lists where they are signed in and signs one session or
/// all the others out. Signing out anything but the caller's own family needs a recent login (the brand's
/// <c>RecentLoginMinutes</c>), so that a key copied off the device, which regenerates as well as its owner's app,
/// cannot shut the owner out. The customer's <see cref="ICustomerSignOutsGrain"/> checks the caller's login and signs
/// out in one step, one sign-out at a time: two devices that sign each other out at once leave one of them signed in.
/// </summary>
public static class SignedInDevicesEndpoints
{
    public static RouteGroupBuilder MapSignedInDevices(this IEndpointRouteBuilder routes)
    {
        var group = routes.MapGroup("/auth/v1/user").WithTags("Signed-in devices").RequireRateLimiting(RateLimiting.AuthPolicy)
            .OpenToBrandWebsites();
        group.MapPost("/sessions", ListAsync).WithName("ListSignedInDevices")
            .Documented<SignedInDevicesRequest>("List the customer's live sessions on every device and browser", Errors.UserToken);
        group.MapPost("/sessions/revoke", RevokeAsync).WithName("SignOutSession")
            .Documented<SignOutSessionRequest>("Sign one session of the customer out (another one needs a recent login)", Errors.SignOut);
        group.MapPost("/sessions/revokeOthers", RevokeOthersAsync).WithName("SignOutOtherSessions")
            .Documented<SignedInDevicesRequest>("Sign out every session of the customer but this login's (needs a recent login)", Errors.SignOut);
        return group;
    }

    public static async Task<EnvelopeResult> ListAsync(AuthRequest request, AuthServices services, CustomerSessions customers)
    {
        var (caller, error) = await ReadCallerAsync(request, services);
        if (caller is null)
        {
            return error!;
        }
        var callerSession = await customers.SessionOfAsync(caller.Token.Family);
        if (!callerSession.Families.Any(f => f.FamilyId == caller.Token.FamilyId))
        {
            // API.md §3: a token of a revoked, replaced or expired family authorises nothing.
            return EnvelopeResult.Fail(AuthError.InvalidToken);
        }
        var sessions = await customers.ListAsync(caller.Token.Identifier.Brand, caller.Token.CustomerId, known: callerSession);
        return EnvelopeResult.Listed([.. sessions.Select(session =>
        {
            var (identifier, deviceId) = session.Names;
            return new SignedInDevice(identifier.Type.ToString(), AuthAudit.Mask(identifier), deviceId.Length == 0 ? null : deviceId,
                [.. session.Families.Select(f => new SignedInFamily(f.FamilyId, CustomerSessions.FlowName(f), f.CreatedAt, f.LastUsedAt, f.ExpiresAt,
                    f.DeviceBound, Current: f.FamilyId == caller.Token.FamilyId))]);
        })]);
    }

    /// <summary>One family, named by <c>familyId</c>: the caller's own (a logout) or, after a recent login, any other of the customer's.</summary>
    public static async Task<EnvelopeResult> RevokeAsync(AuthRequest request, AuthServices services, CustomerSessions customers)
    {
        var (caller, error) = await ReadCallerAsync(request, services);
        if (caller is null)
        {
            return error!;
        }
        if (!request.TryRequired("familyId", 64, out var familyId, out error))
        {
            return error;
        }
        var own = familyId == caller.Token.FamilyId;
        var reason = own ? RevocationReasons.Logout : RevocationReasons.Customer;
        var signedOut = await customers.RevokeAsync(caller.Token.Identifier.Brand, caller.Token.CustomerId, familyId, reason, caller.Token.Family);
        if (signedOut.Error == AuthError.InvalidDetails)
        {
            // The id is the caller's text, not a family of the customer's: it is not logged.
            services.Audit.SignedOut(caller.Device, "an unknown family", AuthError.InvalidDetails, revoked: 0);
            return EnvelopeResult.InvalidField("familyId", "is not a live session of this customer");
        }
        return Answer(services, caller, own || signedOut.Succeeded ? $"family {familyId}" : "another family", signedOut);
    }

    /// <summary>Every family of the customer on every device and browser, but this login's chain (as a password change keeps it).</summary>
    public static async Task<EnvelopeResult> RevokeOthersAsync(AuthRequest request, AuthServices services, CustomerSessions customers)
    {
        var (caller, error) = await ReadCallerAsync(request, services);
        if (caller is null)
        {
            return error!;
        }
        var signedOut = await customers.RevokeAllAsync(caller.Token.Identifier.Brand, caller.Token.CustomerId, RevocationReasons.Customer, caller.Token.Family);
        return Answer(services, caller, "others", signedOut);
    }

    /// <summary>The request's device session and its verified USER token: whether its family still lives is the sign-out's to check.</summary>
    private static async Task<(Caller? Caller, EnvelopeResult? Error)> ReadCallerAsync(AuthRequest request, AuthServices services)
    {
        if (!services.TryReadDevice(request, deviceOptional: true, out var device, out var error))
        {
            return (null, error);
        }
        var (token, tokenError) = await services.VerifyAsync(request, "token", TokenUse.AnyUserToken, device);
        return token is null ? (null, tokenError) : (new Caller(device, token), null);
    }

    private static EnvelopeResult Answer(AuthServices services, Caller caller, string scope, SignOutOutcome signedOut)
    {
        services.Audit.SignedOut(caller.Device, scope, signedOut.Error, signedOut.Revoked);
        return signedOut.Succeeded ? EnvelopeResult.SignedOut(signedOut.Revoked) : EnvelopeResult.Fail(signedOut.Error);
    }

    private sealed record Caller(DeviceRequest Device, VerifiedToken Token);
}
