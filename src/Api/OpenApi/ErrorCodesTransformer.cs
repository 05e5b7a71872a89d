using System.Text;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.OpenApi;
using Microsoft.OpenApi;
using Sessions.Api.Envelope;

namespace Sessions.Api.OpenApi;

/// <summary>Writes each response's envelope codes and messages, and a contract example, into the operation.</summary>
internal static class ErrorCodesTransformer
{
    public static Task TransformAsync(OpenApiOperation operation, OpenApiOperationTransformerContext context, CancellationToken cancellationToken)
    {
        var metadata = context.Description.ActionDescriptor.EndpointMetadata.OfType<ErrorCodesMetadata>().LastOrDefault();
        if (metadata is null || operation.Responses is null)
        {
            return Task.CompletedTask;
        }
        if (context.Description.ActionDescriptor.EndpointMetadata.OfType<RequestExampleMetadata>().LastOrDefault() is { } request
            && operation.RequestBody?.Content?.TryGetValue("application/json", out var requestMedia) == true)
        {
            requestMedia.Example = Examples.Request(request.RequestType);
        }
        if (metadata.Codes.Contains(Grains.AuthError.DeviceProofInvalid))
        {
            operation.Parameters ??= [];
            operation.Parameters.Add(new OpenApiParameter
            {
                Name = "DPoP",
                In = ParameterLocation.Header,
                Required = false,
                Description = "Device proof (RFC 9449, API.md §4.7) for a brand whose DeviceBinding is Optional or Required: binds the new family, "
                    + "or proves a bound family's device. With a bound family's USER token, where the brand sets RequireProofForBoundTokens, "
                    + "the proof also names the token (ath). Answers for such brands carry DPoP-Nonce for the next proof.",
                Schema = new OpenApiSchema { Type = JsonSchemaType.String },
            });
        }

        foreach (var (status, response) in operation.Responses)
        {
            if (response is not OpenApiResponse concrete)
            {
                continue;
            }
            var code = int.Parse(status, System.Globalization.CultureInfo.InvariantCulture);
            concrete.Description = code switch
            {
                StatusCodes.Status200OK => "Success: status {success:true, code:200, message:\"SUCCESS\"}.",
                StatusCodes.Status408RequestTimeout => "Body sent slower than the server's minimum rate; the connection is closed (status.code 408).",
                StatusCodes.Status413PayloadTooLarge => "Body over 16 KiB (status.code 413).",
                StatusCodes.Status415UnsupportedMediaType => "Content-Type is not application/json (status.code 415).",
                StatusCodes.Status429TooManyRequests => Describe(metadata, code, "Too many requests from this address (status.code 429, Retry-After). "),
                _ => Describe(metadata, code, ""),
            };
            if (code == StatusCodes.Status200OK && concrete.Content?.TryGetValue("application/json", out var success) == true)
            {
                success.Example = Examples.Success();
            }
            if (code != StatusCodes.Status200OK && concrete.Content?.TryGetValue("application/json", out var media) == true)
            {
                var example = metadata.Codes.FirstOrDefault(c => ErrorCatalog.HttpStatus(c) == code);
                if (example != default)
                {
                    media.Example = new JsonObject
                    {
                        ["status"] = new JsonObject { ["success"] = false, ["code"] = (int)example, ["message"] = ErrorCatalog.Message(example) },
                    };
                }
            }
        }
        return Task.CompletedTask;
    }

    private static string Describe(ErrorCodesMetadata metadata, int status, string prefix)
    {
        var text = new StringBuilder(prefix);
        foreach (var code in metadata.Codes.Where(c => ErrorCatalog.HttpStatus(c) == status))
        {
            text.Append(System.Globalization.CultureInfo.InvariantCulture, $"{(int)code}: {ErrorCatalog.Message(code)} ");
        }
        return text.ToString().TrimEnd();
    }
}
