using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Sessions.Tests.Infrastructure;

namespace Sessions.Tests.Api;

/// <summary>
/// <c>/admin/v1</c> (API.md §4.6): support finds a customer, lists their live families with masked identifiers, and
/// revokes one or all; every call needs a configured bearer key (plain or <c>sha256:</c>), and is audited by key id.
/// </summary>
public sealed class AdminTests : IAsyncLifetime
{
    private const string SupportKey = "support-key-0123456789-abcdefghijklmnop";
    private const string OpsKey = "ops-key-0123456789-abcdefghijklmnopqrstuv";

    private readonly CapturedLogs _logs = new();
    private ApiFactory _api = null!;
    private SessionsClient _client = null!;

    public Task InitializeAsync()
    {
        _api = new ApiFactory(
            settings: new()
            {
                ["Sessions:Admin:ApiKeys:0:Id"] = "support",
                ["Sessions:Admin:ApiKeys:0:Key"] = SupportKey,
                ["Sessions:Admin:ApiKeys:1:Id"] = "ops",
                ["Sessions:Admin:ApiKeys:1:Key"] = "sha256:" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(OpsKey))),
            },
            services: s => s.AddSingleton<ILoggerProvider>(_logs));
        _client = _api.CreateSessionsClient();
        return Task.CompletedTask;
    }

    public async Task DisposeAsync() => await _api.DisposeAsync();

    [Fact]
    public async Task SupportFindsACustomerListsTheirLiveFamiliesAndRevokesOneThenAll()
    {
        var phone = TestDevice.NewMobile();
        var app = await _client.MfaLoginAsync(phone, phone);
        var web = await _client.WebLoginAsync(phone with { DeviceId = null });
        var customerId = Jwt.Payload(app.Token!).GetProperty("uid").GetString();

        var found = await GetAsync($"/admin/v1/brands/demo/identifiers/MOBILE/{Uri.EscapeDataString("+" + phone.IdentifierValue)}", SupportKey);
        var listed = await GetAsync($"/admin/v1/brands/DEMO/customers/{customerId}/sessions", OpsKey);
        var webFamily = Jwt.Payload(web.Token!).GetProperty("sid").GetString();
        var revokedOne = await SendAsync(HttpMethod.Delete, $"/admin/v1/brands/DEMO/customers/{customerId}/sessions/{webFamily}", SupportKey);
        var webAfter = await _client.PostAsync("web/token/regenerate", (phone with { DeviceId = null }).Body(("expiredToken", web.Token)));
        var revokedAll = await SendAsync(HttpMethod.Delete, $"/admin/v1/brands/DEMO/customers/{customerId}/sessions", SupportKey);
        var appAfter = await _client.PostAsync("mfa/token/regenerate", phone.Body(("key", app.Key)));
        var introspected = await IntrospectAsync(app.Token!);
        var again = await SendAsync(HttpMethod.Delete, $"/admin/v1/brands/DEMO/customers/{customerId}/sessions/{webFamily}", SupportKey);
        var emptied = await GetAsync($"/admin/v1/brands/DEMO/customers/{customerId}/sessions", SupportKey);

        Assert.Equal(customerId, found.GetProperty("customerId").GetString());
        var sessions = listed.GetProperty("sessions").EnumerateArray().ToList();
        Assert.All(sessions, s => Assert.DoesNotContain(phone.IdentifierValue, s.GetProperty("identifierValue").GetString(), StringComparison.Ordinal));
        Assert.Equal(["MFA", "PRIMARY", "WEB"], sessions.SelectMany(s => s.GetProperty("families").EnumerateArray()).Select(f => f.GetProperty("flow").GetString()).Order());
        Assert.Contains(sessions, s => s.GetProperty("deviceId").ValueKind == JsonValueKind.Null);
        Assert.Equal(HttpStatusCode.NoContent, revokedOne.StatusCode);
        Assert.Equal(1597, webAfter.Code);
        Assert.Equal(2, JsonDocument.Parse(await revokedAll.Content.ReadAsStringAsync()).RootElement.GetProperty("revoked").GetInt32());
        Assert.Equal(1597, appAfter.Code);
        Assert.Equal("{\"active\":false}", introspected);
        Assert.Equal(HttpStatusCode.NotFound, again.StatusCode);
        Assert.Empty(emptied.GetProperty("sessions").EnumerateArray());
        Assert.Contains(_logs.Entries, e => e.EventId.Id == 3020 && e.Values.GetValueOrDefault("KeyId") == "ops");
        Assert.DoesNotContain(_logs.Entries, e => e.Everything.Contains(SupportKey, StringComparison.Ordinal) || e.Everything.Contains(OpsKey, StringComparison.Ordinal));
    }

    [Fact]
    public async Task AMissingOrWrongKeyIs401ProblemDetailsAndAnUnknownIdentifier404()
    {
        var none = await SendAsync(HttpMethod.Get, "/admin/v1/brands/DEMO/customers/x/sessions", key: null);
        var wrong = await SendAsync(HttpMethod.Get, "/admin/v1/brands/DEMO/customers/x/sessions", "sha256:" + new string('0', 64));
        var unknown = await SendAsync(HttpMethod.Get, $"/admin/v1/brands/DEMO/identifiers/MOBILE/{TestDevice.NewMobile().IdentifierValue}", SupportKey);
        var badType = await SendAsync(HttpMethod.Get, "/admin/v1/brands/DEMO/identifiers/FAX/123", SupportKey);

        Assert.Equal(HttpStatusCode.Unauthorized, none.StatusCode);
        Assert.Equal("application/problem+json", none.Content.Headers.ContentType?.MediaType);
        Assert.Equal(HttpStatusCode.Unauthorized, wrong.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
        Assert.Equal("application/problem+json", unknown.Content.Headers.ContentType?.MediaType);
        Assert.Equal(HttpStatusCode.BadRequest, badType.StatusCode);
    }

    [Fact]
    public async Task WithoutAConfiguredKeyNoAdminRouteExists()
    {
        await using var plain = new ApiFactory();
        using var request = new HttpRequestMessage(HttpMethod.Get, "/admin/v1/brands/DEMO/customers/x/sessions");
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", SupportKey);

        var response = await plain.CreateClient().SendAsync(request);

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
    }

    private async Task<string> IntrospectAsync(string token)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/auth/v1/token/introspect") { Content = new FormUrlEncodedContent([new("token", token)]) };
        request.Headers.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"DEMO:{TestBrands.IntrospectionSecret}")));
        using var response = await _client.Http.SendAsync(request);
        return await response.Content.ReadAsStringAsync();
    }

    private async Task<JsonElement> GetAsync(string path, string key)
    {
        using var response = await SendAsync(HttpMethod.Get, path, key);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.Clone();
    }

    private async Task<HttpResponseMessage> SendAsync(HttpMethod method, string path, string? key)
    {
        using var request = new HttpRequestMessage(method, path);
        if (key is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", key);
        }
        return await _client.Http.SendAsync(request);
    }
}
