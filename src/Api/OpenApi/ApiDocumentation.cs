using Microsoft.AspNetCore.Http.Metadata;
using Scalar.AspNetCore;
using Sessions.Api.Envelope;
using Sessions.Grains;

namespace Sessions.Api.OpenApi;

/// <summary>
/// <c>GET /openapi/v1.json</c> (Microsoft.AspNetCore.OpenApi) and the interactive page at <c>/docs</c> (Scalar), on by
/// default in Development and by <c>Sessions:Docs:Enabled</c> elsewhere. Each endpoint lists its request schema and
/// every envelope code it can answer, grouped by HTTP status.
/// </summary>
public static class ApiDocumentation
{
    /// <summary>Codes any <c>/auth/v1</c> endpoint can answer, whatever it does.</summary>
    private static readonly AuthError[] Common =
    [
        AuthError.InvalidDetails, AuthError.UnsupportedBrand, AuthError.InvalidIdentifierType, AuthError.ExternalIdLoginDisabled,
        AuthError.ServiceUnavailable, AuthError.InternalError,
    ];

    public static WebApplicationBuilder AddSessionsApiDocumentation(this WebApplicationBuilder builder)
    {
        builder.Services.AddOpenApi(options =>
        {
            options.AddDocumentTransformer((document, _, _) =>
            {
                document.Info.Title = "Sessions";
                document.Info.Description = "MFA session and token service, compatible with the Capillary Auth Engine (/auth/v1). "
                    + "Every response is the envelope {status:{success,code,message}, auth, user}; status.code is the contract's error code.";
                return Task.CompletedTask;
            });
            options.AddOperationTransformer(ErrorCodesTransformer.TransformAsync);
        });
        return builder;
    }

    public static WebApplication MapSessionsApiDocumentation(this WebApplication app)
    {
        if (app.Configuration.GetValue<bool?>("Sessions:Docs:Enabled") ?? app.Environment.IsDevelopment())
        {
            app.MapOpenApi("/openapi/{documentName}.json");
            app.MapScalarApiReference("/docs", options => options.WithTitle("Sessions API").WithOpenApiRoutePattern("/openapi/{documentName}.json"));
        }
        return app;
    }

    /// <summary>Documents the request body and the envelope codes an endpoint answers, besides <see cref="Common"/> ones.</summary>
    public static RouteHandlerBuilder Documented<TRequest>(this RouteHandlerBuilder endpoint, string summary, params AuthError[] errors) where TRequest : notnull
    {
        var codes = Common.Concat(errors).Distinct().ToArray();
        endpoint.WithSummary(summary)
            .Accepts<TRequest>("application/json")
            .Produces<ApiEnvelope>(StatusCodes.Status200OK)
            .WithMetadata(new ErrorCodesMetadata(codes), new RequestExampleMetadata(typeof(TRequest)));
        foreach (var status in codes.Select(ErrorCatalog.HttpStatus).Distinct())
        {
            endpoint.Produces<ApiEnvelope>(status);
        }
        foreach (var status in new[] { StatusCodes.Status408RequestTimeout, StatusCodes.Status413PayloadTooLarge, StatusCodes.Status415UnsupportedMediaType, StatusCodes.Status429TooManyRequests })
        {
            endpoint.Produces<ApiEnvelope>(status);
        }
        return endpoint;
    }
}

/// <summary>The envelope codes an endpoint answers; read by the OpenAPI transformer.</summary>
public sealed record ErrorCodesMetadata(IReadOnlyList<AuthError> Codes);

/// <summary>The documented request type, from which the transformer builds a request example.</summary>
public sealed record RequestExampleMetadata(Type RequestType);
