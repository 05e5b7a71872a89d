using System.Text;
using System.Text.Json.Nodes;

namespace Sessions.Api.Envelope;

/// <summary>
/// The answers that are not the envelope, by contract (JWKS, RFC 7662 introspection, the admin API): a JSON object
/// with its status.
/// </summary>
public static class PlainJson
{
    public static IResult Result(JsonObject body, int statusCode = StatusCodes.Status200OK) =>
        Results.Text(body.ToJsonString(), "application/json", Encoding.UTF8, statusCode);
}
