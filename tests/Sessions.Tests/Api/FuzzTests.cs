using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Sessions.Tests.Infrastructure;

namespace Sessions.Tests.Api;

/// <summary>Hundreds of generated bad bodies at every endpoint: each gets an envelope, none gets a 5xx.</summary>
[Collection(ApiCollection.Name)]
public sealed class FuzzTests(ApiFixture fixture)
{
    private static readonly string[] Endpoints =
    [
        "token/generate", "otp/generate", "otp/validate", "password/validate", "token/regenerate", "password/change", "password/forget",
        "mfa/token/generate", "mfa/otp/generate", "mfa/otp/validate", "mfa/password/validate", "mfa/token/regenerate",
        "mfa/token/expire", "mfa/password/change", "mfa/password/forget",
        "web/token/generate", "web/otp/generate", "web/otp/validate", "web/password/validate", "web/token/regenerate",
        "web/password/change", "web/password/forget", "user/updateIdentifierValue",
        "user/sessions", "user/sessions/revoke", "user/sessions/revokeOthers",
    ];

    private static readonly string[] Fields =
    [
        "brand", "identifierType", "identifierValue", "deviceId", "sessionId", "otp", "password", "confirmPassword",
        "newPassword", "key", "token", "authorizedToken", "expiredToken", "newIdentifierValue", "familyId",
    ];

    [Fact]
    public async Task GeneratedBadBodiesNeverCauseAServerError()
    {
        var random = new Random(20261127);
        var failures = new List<string>();
        var sent = 0;
        foreach (var endpoint in Endpoints)
        {
            foreach (var body in BadBodies(random).Take(30))
            {
                using var request = new HttpRequestMessage(HttpMethod.Post, "/auth/v1/" + endpoint)
                {
                    Content = new ByteArrayContent(body),
                };
                request.Content.Headers.TryAddWithoutValidation("Content-Type", "application/json");
                var response = await fixture.Client.Http.SendAsync(request);
                var text = await response.Content.ReadAsStringAsync();
                sent++;
                if ((int)response.StatusCode >= 500 || !IsEnvelope(text))
                {
                    failures.Add($"{endpoint} {(int)response.StatusCode}: {Encoding.UTF8.GetString(body)[..Math.Min(200, body.Length)]} -> {text}");
                }
            }
        }

        Assert.True(sent >= 400);
        Assert.Empty(failures);
    }

    private static IEnumerable<byte[]> BadBodies(Random random)
    {
        while (true)
        {
            var body = TestDevice.NewMobile().Body(("sessionId", "P-" + Guid.NewGuid()), ("otp", "123456"), ("password", "secret pass"),
                ("confirmPassword", "secret pass"), ("newPassword", "other pass"), ("key", "a.b.c"), ("token", "a.b.c"), ("authorizedToken", "a.b.c"));
            var mutations = random.Next(1, 4);
            for (var i = 0; i < mutations; i++)
            {
                var field = Fields[random.Next(Fields.Length)];
                body[field] = random.Next(12) switch
                {
                    0 => null,
                    1 => JsonValue.Create(random.Next()),
                    2 => JsonValue.Create(random.NextDouble() * 1e6),
                    3 => JsonValue.Create(true),
                    4 => new JsonArray(JsonValue.Create("x"), JsonValue.Create(1)),
                    5 => new JsonObject { ["nested"] = new JsonObject { ["deeper"] = 1 } },
                    6 => JsonValue.Create(new string('9', random.Next(100, 4000))),
                    7 => JsonValue.Create("\u0000\u0001\u001f" + field),
                    8 => JsonValue.Create("../../etc/passwd' OR 1=1--"),
                    9 => JsonValue.Create("ey" + Convert.ToBase64String(Encoding.UTF8.GetBytes("{\"alg\":\"none\"}")) + ".e30."),
                    10 => JsonValue.Create("\ud83d\ude00\u202e" + field),
                    _ => JsonValue.Create(""),
                };
            }
            var bytes = Encoding.UTF8.GetBytes(body.ToJsonString());
            yield return random.Next(6) switch
            {
                0 => bytes[..random.Next(1, bytes.Length)],
                1 => [.. bytes, .. "}}}"u8.ToArray()],
                2 => [0xFF, 0xFE, .. bytes],
                _ => bytes,
            };
        }
    }

    private static bool IsEnvelope(string text)
    {
        try
        {
            var status = JsonDocument.Parse(text).RootElement.GetProperty("status");
            return status.GetProperty("success").ValueKind is JsonValueKind.False or JsonValueKind.True
                && status.GetProperty("code").ValueKind == JsonValueKind.Number;
        }
        catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException)
        {
            return false;
        }
    }
}
