using System.Diagnostics;
using System.Net.Http.Json;
using System.Text.Json;
using Sessions.Tests.Infrastructure;

namespace Sessions.Tests.Api;

/// <summary>
/// What ties a log line to its request (README, "Operations", logs): a line written during a request carries the
/// request's scope and its trace, the one the caller's <c>traceparent</c> started, so that an operator can follow a
/// request from the gateway's log into the service's.
/// </summary>
public sealed class RequestLogScopeTests
{
    [Fact]
    public async Task ALineWrittenDuringARequestCarriesTheRequestAndTheTraceTheCallerSent()
    {
        var (scopes, traceId) = await ScopesOfTheOtpSentLineAsync();

        Assert.Contains(scopes, scope => Value(scope, "RequestId") is { Length: > 0 } && Value(scope, "RequestPath") == "/auth/v1/otp/generate");
        Assert.Contains(scopes, scope => Value(scope, "TraceId") == traceId);
    }

    /// <summary>
    /// Starts the API writing JSON lines with scopes, as outside Development, sends an OTP with a W3C
    /// <c>traceparent</c> of a new trace, and answers the scopes of the line that tells the OTP was sent (3003), with
    /// the trace's id.
    /// </summary>
    private static async Task<(List<JsonElement> Scopes, string TraceId)> ScopesOfTheOtpSentLineAsync()
    {
        await using var api = new ApiProcess(new()
        {
            ["Logging:Console:FormatterName"] = "json",
            ["Logging:Console:FormatterOptions:IncludeScopes"] = "true",
        });
        await api.StartAsync();
        var phone = TestDevice.NewMobile();
        var opened = await api.Client.PostAsync("token/generate", phone.Body());
        var traceId = ActivityTraceId.CreateRandom().ToHexString();
        using var request = new HttpRequestMessage(HttpMethod.Post, api.Client.Url("otp/generate"))
        {
            Content = JsonContent.Create(phone.Body(("sessionId", opened.SessionId))),
        };
        request.Headers.Add("traceparent", $"00-{traceId}-{ActivitySpanId.CreateRandom().ToHexString()}-01");
        var sent = await api.Client.SendAsync(request);
        Assert.True(sent.Success, sent.Body.ToString());

        var line = await api.JsonLogLineAsync(eventId: 3003);
        List<JsonElement> scopes = line.TryGetProperty("Scopes", out var written) ? [.. written.EnumerateArray()] : [];
        return (scopes, traceId);
    }

    private static string? Value(JsonElement scope, string name) =>
        scope.ValueKind == JsonValueKind.Object && scope.TryGetProperty(name, out var value)
            ? value.ValueKind == JsonValueKind.String ? value.GetString() : value.GetRawText()
            : null;
}
