using System.Text.Json;
using System.Text.Json.Nodes;

namespace Sessions.Api.OpenApi;

/// <summary>Request and response examples in the contract's own values (API.md §1-§3).</summary>
internal static class Examples
{
    private const string Jwt = "eyJpZHYiOlsiTU9CSUxFfDE4NzY3NDMxNzU0Il0sImRldiI6IjEyMzQiLCJvcmciOiJCVUtMIiwiYWxnIjoiSFMyNTYiLCJraWQiOiJidWtsLTEifQ.eyJ1aWQiOiI1NDI3MzcyMyJ9.c2lnbmF0dXJl";

    private static readonly Dictionary<string, JsonNode> Values = new(StringComparer.OrdinalIgnoreCase)
    {
        ["brand"] = "Bukl",
        ["identifierType"] = "MOBILE",
        ["identifierValue"] = "18767431754",
        ["deviceId"] = "1234",
        ["sessionId"] = "P-4f5b7c2e-9d1a-4c3b-8e6f-2a1b3c4d5e6f",
        ["otp"] = "123456",
        ["password"] = "correct horse 1",
        ["confirmPassword"] = "correct horse 1",
        ["newPassword"] = "battery staple 2",
        ["key"] = Jwt,
        ["token"] = Jwt,
        ["authorizedToken"] = Jwt,
        ["expiredToken"] = Jwt,
        ["newIdentifierValue"] = "18767431755",
    };

    public static JsonNode Request(Type requestType)
    {
        var example = new JsonObject();
        foreach (var property in requestType.GetProperties().OrderBy(p => p.DeclaringType == requestType ? 1 : 0))
        {
            var name = JsonNamingPolicy.CamelCase.ConvertName(property.Name);
            if (Values.TryGetValue(name, out var value))
            {
                example[name] = value.DeepClone();
            }
        }
        return example;
    }

    public static JsonNode Success() => new JsonObject
    {
        ["status"] = new JsonObject { ["success"] = true, ["code"] = 200, ["message"] = "SUCCESS" },
        ["auth"] = new JsonObject { ["token"] = Jwt, ["key"] = Jwt },
        ["user"] = new JsonObject { ["appRegistered"] = true, ["sessionId"] = null, ["role"] = "USER", ["userRegisteredForPassword"] = true },
    };
}
