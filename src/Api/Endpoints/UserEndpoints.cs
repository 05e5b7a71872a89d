using Sessions.Api.Envelope;
using Sessions.Api.OpenApi;
using Sessions.Api.Requests;
using Sessions.Api.Security;
using Sessions.Api.Tokens;
using Sessions.Grains;
using Sessions.Grains.Contracts;
using Sessions.Grains.Identity;

namespace Sessions.Api.Endpoints;

/// <summary>The customer's own account (API.md §4.4): changing the phone number or e-mail address.</summary>
public static class UserEndpoints
{
    public static RouteGroupBuilder MapUser(this IEndpointRouteBuilder routes)
    {
        var group = routes.MapGroup("/auth/v1/user").WithTags("Account").RequireRateLimiting(RateLimiting.AuthPolicy);
        group.MapPost("/updateIdentifierValue", UpdateIdentifierValueAsync).WithName("UpdateIdentifierValue")
            .Documented<UpdateIdentifierRequest>("Move the customer from the identifier to a new value of the same type; revokes every family under the old one", Errors.ChangeIdentifier);
        return group;
    }

    /// <summary>
    /// Moves the link (crash-safe inside the identifier grains), then tells the customer, which from then on refuses a
    /// factor completed under the old identifier, and revokes every family under it. A failure after the move
    /// answers 1599; the client's retry finds the move done (it is idempotent) and finishes the revocations.
    /// </summary>
    public static async Task<EnvelopeResult> UpdateIdentifierValueAsync(AuthRequest request, AuthServices services, IGrainFactory grains, CustomerRevocations revocations)
    {
        if (!DeviceRequest.TryRead(request, services.Options, deviceOptional: true, out var device, out var error))
        {
            return error;
        }
        var (token, tokenError) = services.Verify(request, "token", TokenUse.AnyUserToken, device);
        if (token is null)
        {
            return tokenError!;
        }
        if (!request.TryRequired("newIdentifierValue", 512, out var newText, out error))
        {
            return error;
        }
        if (IdentifierRules.NormalizeValue(device.Identifier.Type, newText, out var reason) is not { } newValue)
        {
            return EnvelopeResult.InvalidField("newIdentifierValue", reason);
        }
        var newIdentifier = device.Identifier with { Value = newValue };
        if (newValue == device.Identifier.Value)
        {
            services.Audit.IdentifierChanged(device, newIdentifier, AuthError.InvalidDetails);
            return InUse();
        }

        var oldKey = GrainKeys.Identifier(device.Identifier);
        var moved = await grains.GetGrain<IIdentifierGrain>(oldKey).MoveToAsync(token.CustomerId, newValue);
        if (moved == AuthError.None)
        {
            var customer = revocations.Customer(device.Identifier.Brand, token.CustomerId);
            var underOld = await customer.IdentifierMovedAsync(oldKey, GrainKeys.Identifier(newIdentifier));
            await revocations.RevokeAsync(customer, token.CustomerId, underOld, "identifier changed");
        }

        services.Audit.IdentifierChanged(device, newIdentifier, moved);
        return moved switch
        {
            AuthError.None => EnvelopeResult.Done("SUCCESS"),
            AuthError.InvalidDetails => InUse(),
            _ => EnvelopeResult.Fail(moved),
        };
    }

    private static EnvelopeResult InUse() => EnvelopeResult.InvalidField("newIdentifierValue", "is already in use");
}
