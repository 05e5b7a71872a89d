using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Xunit.Sdk;

namespace Sessions.Tests.Infrastructure;

/// <summary>A device session as a test client sees it: brand, identifier, device.</summary>
public sealed record TestDevice(string Brand, string IdentifierType, string IdentifierValue, string? DeviceId)
{
    public static TestDevice NewMobile(string brand = TestBrands.Demo) =>
        new(brand, "MOBILE", "1" + Random.Shared.NextInt64(1_000_000_000, 9_999_999_999).ToString(System.Globalization.CultureInfo.InvariantCulture), NewDeviceId());

    /// <summary>A browser: no device id, so the identifier's web device session.</summary>
    public static TestDevice NewBrowser(string brand = TestBrands.Demo) => NewMobile(brand) with { DeviceId = null };

    public static TestDevice NewEmail(string brand = TestBrands.Demo, string? deviceId = null) =>
        new(brand, "EMAIL", $"user-{Guid.NewGuid():N}@example.com", deviceId ?? NewDeviceId());

    public TestDevice OnDevice(string? deviceId) => this with { DeviceId = deviceId };

    public JsonObject Body(params (string Name, object? Value)[] fields)
    {
        var body = new JsonObject
        {
            ["brand"] = Brand,
            ["identifierType"] = IdentifierType,
            ["identifierValue"] = IdentifierValue,
            ["deviceId"] = DeviceId,
        };
        foreach (var (name, value) in fields)
        {
            body[name] = value is null ? null : JsonValue.Create(value);
        }
        return body;
    }

    public static string NewDeviceId() => $"device-{Guid.NewGuid():N}";
}

/// <summary>The answer of one call: HTTP status and parsed envelope.</summary>
public sealed record ApiResponse(HttpStatusCode Status, JsonElement Body, HttpResponseMessage Raw)
{
    public bool Success => Body.GetProperty("status").GetProperty("success").GetBoolean();
    public int Code => Body.GetProperty("status").GetProperty("code").GetInt32();
    public string Message => Body.GetProperty("status").GetProperty("message").GetString()!;
    public string? Token => Body.GetProperty("auth").GetProperty("token").GetString();
    public string? Key => Body.GetProperty("auth").GetProperty("key").GetString();
    public string? SessionId => Body.GetProperty("user").GetProperty("sessionId").GetString();
    public string? Role => Body.GetProperty("user").GetProperty("role").GetString();
    public JsonElement User => Body.GetProperty("user");

    /// <summary>The server nonce for the next device proof (<c>DPoP-Nonce</c>), when the answer carries one.</summary>
    public string? DeviceNonce => Raw.Headers.TryGetValues("DPoP-Nonce", out var values) ? values.Single() : null;
}

public static class ResponseHeaders
{
    /// <summary>The response header's values joined by commas, or null when the response has none.</summary>
    public static string? Header(this HttpResponseMessage response, string name) =>
        response.Headers.TryGetValues(name, out var values) ? string.Join(',', values) : null;
}

/// <summary>The product's flows over HTTP, as a mobile app drives them.</summary>
public sealed class SessionsClient(HttpClient http)
{
    public HttpClient Http => http;

    public async Task<ApiResponse> PostAsync(string path, JsonObject body, HttpMethod? method = null)
    {
        using var request = JsonPost(path, body, method);
        return await SendAsync(request);
    }

    private static HttpRequestMessage JsonPost(string path, JsonObject body, HttpMethod? method = null) =>
        new(method ?? HttpMethod.Post, "/auth/v1/" + path) { Content = new StringContent(body.ToJsonString(), Encoding.UTF8, "application/json") };

    /// <summary>A POST as a page of <paramref name="origin"/> sends it from a browser (its <c>Origin</c> header).</summary>
    public async Task<ApiResponse> PostFromAsync(string origin, string path, JsonObject body)
    {
        using var request = JsonPost(path, body);
        request.Headers.Add("Origin", origin);
        return await SendAsync(request);
    }

    /// <summary>The absolute URL of an <c>/auth/v1</c> endpoint, as a device proof names it (<c>htu</c>).</summary>
    public Uri Url(string path) => new(http.BaseAddress!, "/auth/v1/" + path);

    /// <summary>A POST with a <c>DPoP</c> header (API.md §4.7).</summary>
    public async Task<ApiResponse> PostWithProofAsync(string path, JsonObject body, string proof)
    {
        using var request = JsonPost(path, body);
        request.Headers.Add("DPoP", proof);
        return await SendAsync(request);
    }

    /// <summary>A POST with a fresh, valid proof by <paramref name="deviceKey"/> for this endpoint.</summary>
    public Task<ApiResponse> PostWithProofAsync(string path, JsonObject body, DeviceKey deviceKey, string? nonce = null) =>
        PostWithProofAsync(path, body, deviceKey.Proof(Url(path), nonce));

    /// <summary>The first factor with an OTP, validated with a proof by <paramref name="deviceKey"/>: a bound family.</summary>
    public Task<ApiResponse> LoginAsync(TestDevice device, DeviceKey deviceKey) => LoginAsync(device, url => deviceKey.Proof(url));

    /// <summary>The first factor with an OTP, validated with the proof <paramref name="proof"/> makes for the validate's URL: a bound family.</summary>
    public async Task<ApiResponse> LoginAsync(TestDevice device, Func<Uri, string> proof)
    {
        var sessionId = await StartLoginAsync(device);
        return await Ok(PostWithProofAsync("otp/validate", device.Body(("sessionId", sessionId), ("otp", await LatestOtpAsync(device))), proof(Url("otp/validate"))));
    }

    public async Task<ApiResponse> SendAsync(HttpRequestMessage request)
    {
        var response = await http.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        return new ApiResponse(response.StatusCode, JsonDocument.Parse(text).RootElement.Clone(), response);
    }

    /// <summary>
    /// <c>token/introspect</c> of <paramref name="token"/> as <paramref name="brand"/>'s resource server (form body, HTTP
    /// Basic with the test brands' introspection secret): the RFC 7662 answer, which must come with 200.
    /// </summary>
    public async Task<JsonElement> IntrospectAsync(string token, string brand = TestBrands.Demo)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/auth/v1/token/introspect") { Content = new FormUrlEncodedContent([new("token", token)]) };
        request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Basic",
            Convert.ToBase64String(Encoding.UTF8.GetBytes($"{brand}:{TestBrands.IntrospectionSecret}")));
        using var response = await http.SendAsync(request);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.Clone();
    }

    public async Task<string> LatestOtpAsync(TestDevice device)
    {
        var url = $"/dev/otp?brand={device.Brand}&identifierType={device.IdentifierType}&identifierValue={Uri.EscapeDataString(device.IdentifierValue)}";
        var entry = await http.GetFromJsonAsync<JsonElement>(url);
        return entry.GetProperty("otp").GetString()!;
    }

    /// <summary>token/generate + otp/generate: the login session id, with an OTP waiting at the dev outbox.</summary>
    public async Task<string> StartLoginAsync(TestDevice device, params (string Name, object? Value)[] openFields)
    {
        var opened = await Ok(PostAsync("token/generate", device.Body(openFields)));
        await Ok(PostAsync("otp/generate", device.Body(("sessionId", opened.SessionId))));
        return opened.SessionId!;
    }

    /// <summary>The first factor with an OTP: the USER (or MFA_PENDING) answer with token and primary key.</summary>
    public async Task<ApiResponse> LoginAsync(TestDevice device, params (string Name, object? Value)[] openFields)
    {
        var sessionId = await StartLoginAsync(device, openFields);
        return await Ok(PostAsync("otp/validate", device.Body(("sessionId", sessionId), ("otp", await LatestOtpAsync(device)))));
    }

    /// <summary>A code that is not <paramref name="otp"/>.</summary>
    public static string WrongOtp(string otp) => otp == "000000" ? "111111" : "000000";

    /// <summary>Sends <paramref name="times"/> wrong codes for the session, one after the other.</summary>
    public async Task<List<ApiResponse>> GuessWrongAsync(TestDevice device, string sessionId, string rightOtp, int times)
    {
        var answers = new List<ApiResponse>();
        for (var i = 0; i < times; i++)
        {
            answers.Add(await PostAsync("otp/validate", device.Body(("sessionId", sessionId), ("otp", WrongOtp(rightOtp)))));
        }
        return answers;
    }

    /// <summary>
    /// Opens a login and guesses wrong until the identifier locks (1550), on a brand whose per-session attempts outlast
    /// its lockout (GUARDED): the session id and its right code, which the lock refuses.
    /// </summary>
    public async Task<(string SessionId, string RightOtp)> LockOutAsync(TestDevice device)
    {
        var sessionId = await StartLoginAsync(device);
        var right = await LatestOtpAsync(device);
        for (var i = 0; i < 50; i++)
        {
            if ((await GuessWrongAsync(device, sessionId, right, 1))[0].Code == 1550)
            {
                return (sessionId, right);
            }
        }
        throw new InvalidOperationException("The identifier did not lock within 50 wrong codes.");
    }

    /// <summary>web/token/generate + web/otp/generate: the browser's login session id, with an OTP waiting.</summary>
    public async Task<string> StartWebLoginAsync(TestDevice browser, params (string Name, object? Value)[] openFields)
    {
        var opened = await Ok(PostAsync("web/token/generate", browser.Body(openFields)));
        await Ok(PostAsync("web/otp/generate", browser.Body(("sessionId", opened.SessionId))));
        return opened.SessionId!;
    }

    /// <summary>The first factor in a browser (<c>web/*</c>): the answer with its web token and no key.</summary>
    public async Task<ApiResponse> WebLoginAsync(TestDevice browser, params (string Name, object? Value)[] openFields)
    {
        var sessionId = await StartWebLoginAsync(browser, openFields);
        return await Ok(PostAsync("web/otp/validate", browser.Body(("sessionId", sessionId), ("otp", await LatestOtpAsync(browser)))));
    }

    /// <summary>
    /// First factor on <paramref name="first"/> (or the <paramref name="firstFactor"/> answer already had), then MFA OTP
    /// on <paramref name="second"/> (same device).
    /// </summary>
    public async Task<ApiResponse> MfaLoginAsync(TestDevice first, TestDevice second, ApiResponse? firstFactor = null)
    {
        var login = firstFactor ?? await LoginAsync(first);
        var opened = await Ok(PostAsync("mfa/token/generate", second.Body(("authorizedToken", login.Token))));
        await Ok(PostAsync("mfa/otp/generate", second.Body(("sessionId", opened.SessionId))));
        return await Ok(PostAsync("mfa/otp/validate", second.Body(("sessionId", opened.SessionId), ("otp", await LatestOtpAsync(second)))));
    }

    /// <summary>
    /// <c>user/updateIdentifierValue</c> as the contract has it (API.md §4.4): the first call sends an OTP to the new value,
    /// the second, with the code the dev outbox holds for that value, moves the customer. The second call's answer.
    /// </summary>
    public async Task<ApiResponse> ChangeIdentifierAsync(TestDevice device, string token, string newValue)
    {
        var sent = await Ok(PostAsync("user/updateIdentifierValue", device.Body(("token", token), ("newIdentifierValue", newValue))));
        Assert.Equal("OTP sent to the new identifier value.", sent.Message);
        var otp = await LatestOtpAsync(device with { IdentifierValue = newValue });
        return await PostAsync("user/updateIdentifierValue", device.Body(("token", token), ("newIdentifierValue", newValue), ("otp", otp)));
    }

    /// <summary>The newest code the dev outbox holds for an identifier, or null when none was ever sent to it.</summary>
    public async Task<string?> LatestOtpOrNullAsync(TestDevice device)
    {
        var url = $"/dev/otp?brand={device.Brand}&identifierType={device.IdentifierType}&identifierValue={Uri.EscapeDataString(device.IdentifierValue)}";
        using var response = await http.GetAsync(url);
        return response.StatusCode == HttpStatusCode.NotFound ? null : (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("otp").GetString();
    }

    public static async Task<ApiResponse> Ok(Task<ApiResponse> call)
    {
        var response = await call;
        if (response.Status != HttpStatusCode.OK || !response.Success)
        {
            throw new UnexpectedAnswerException(response);
        }
        return response;
    }
}

/// <summary>A call expected to succeed that did not; the answer says how, for a caller that handles some failures as an app would.</summary>
public sealed class UnexpectedAnswerException(ApiResponse answer)
    : XunitException($"Expected success, got {(int)answer.Status}: {answer.Body}")
{
    public ApiResponse Answer { get; } = answer;
}
