using System.Security.Cryptography;
using System.Text.Json;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace Sessions.Bench;

/// <summary>
/// The machine's ceiling for this work: a minimal ASP.NET Core endpoint that parses the same request JSON as a
/// regenerate and signs one HS256 JWT with the same header shape, and writes a small JSON answer. Nothing else.
/// </summary>
internal static class BaselineServer
{
    public static void Run(int port)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls($"http://127.0.0.1:{port}");
        var app = builder.Build();

        var credentials = new SigningCredentials(new SymmetricSecurityKey(RandomNumberGenerator.GetBytes(32)) { KeyId = "baseline" }, SecurityAlgorithms.HmacSha256);
        var handler = new JsonWebTokenHandler { SetDefaultTimesOnTokenCreation = false };
        app.MapGet("/ready", () => "ok");
        app.MapPost("/baseline", async (HttpRequest request) =>
        {
            using var body = await JsonDocument.ParseAsync(request.Body);
            var root = body.RootElement;
            var brand = root.GetProperty("brand").GetString()!;
            var idv = $"{root.GetProperty("identifierType").GetString()}|{root.GetProperty("identifierValue").GetString()}";
            var device = root.GetProperty("deviceId").GetString()!;
            var now = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
            var token = handler.CreateToken(new SecurityTokenDescriptor
            {
                Claims = new Dictionary<string, object>
                {
                    ["uid"] = "customer", ["iss"] = "SESSIONS", ["isc"] = "false", ["ogc"] = new[] { "1|bench" },
                    ["exp"] = now + 900, ["iat"] = now, ["rol"] = "USER", ["jti"] = Guid.NewGuid().ToString("N"), ["sid"] = "family",
                },
                AdditionalHeaderClaims = new Dictionary<string, object> { ["idv"] = new[] { idv }, ["dev"] = device, ["org"] = brand.ToUpperInvariant() },
                SigningCredentials = credentials,
            });
            return Results.Json(new BaselineAnswer(new BaselineStatus(true, 200, "SUCCESS"), new BaselineAuth(token, null)), BaselineJson.Default.BaselineAnswer);
        });
        app.Run();
    }
}

internal sealed record BaselineAnswer(BaselineStatus Status, BaselineAuth Auth);
internal sealed record BaselineStatus(bool Success, int Code, string Message);
internal sealed record BaselineAuth(string Token, string? Key);

[System.Text.Json.Serialization.JsonSourceGenerationOptions(JsonSerializerDefaults.Web)]
[System.Text.Json.Serialization.JsonSerializable(typeof(BaselineAnswer))]
internal sealed partial class BaselineJson : System.Text.Json.Serialization.JsonSerializerContext;
