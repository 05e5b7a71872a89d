using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Caching.Memory;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.JsonWebTokens;

namespace Sessions.ResourceServer;

/// <summary>
/// Whether a token's session (<c>sid</c>, its key family) still lives at the service, so that a sign-out, a password
/// change, a revocation by support or a replayed key ends the session here too, within
/// <see cref="SessionRevocationOptions.RecheckAfter"/>, not only when its token expires. The service is asked by
/// introspection (RFC 7662), once per session and interval, however many calls the session makes meanwhile.
/// </summary>
public sealed partial class SessionRevocations(IOptions<SessionRevocationOptions> options, IMemoryCache cache, TimeProvider clock,
    ILogger<SessionRevocations> logger)
{
    /// <summary>How long an unanswered question stands before it is asked again, so that an outage is not asked about by every call.</summary>
    private static readonly TimeSpan UnansweredFor = TimeSpan.FromSeconds(2);

    private readonly SessionRevocationOptions _options = options.Value;
    private readonly HttpClient _http = options.Value.Backchannel ?? SessionsTokens.Backchannel(TimeSpan.FromSeconds(5), 64 * 1024);
    private readonly AuthenticationHeaderValue _credentials = new("Basic",
        Convert.ToBase64String(Encoding.UTF8.GetBytes($"{options.Value.Brand}:{options.Value.Secret}")));
    private readonly Lock _gate = new();

    /// <summary>Whether a token whose session the service could not answer for is refused (503) rather than accepted.</summary>
    internal bool RefusesWhenUnanswered => _options.RefuseWhenUnavailable;

    /// <summary>True when the token's session lives, false when it ended, null when the service could not tell.</summary>
    public async Task<bool?> IsSessionActiveAsync(JsonWebToken token)
    {
        if (!token.TryGetPayloadValue<string>("sid", out var session) || string.IsNullOrEmpty(session))
        {
            return false;
        }
        var key = new SessionKey(session);
        Answer answer;
        lock (_gate)
        {
            // One question per session at a time: racing calls of one session share it.
            if (!cache.TryGetValue(key, out Answer? known) || clock.GetUtcNow() >= known!.DueAt)
            {
                // Asked off the lock: the client's handlers may do work before their first await.
                known = new Answer(Task.Run(() => AskAsync(token.EncodedToken)), clock.GetUtcNow() + _options.RecheckAfter);
                cache.Set(key, known, _options.RecheckAfter + UnansweredFor);
            }
            answer = known;
        }
        var active = await answer.Active;
        if (active is null)
        {
            lock (_gate)
            {
                if (cache.TryGetValue(key, out Answer? current) && ReferenceEquals(current, answer))
                {
                    cache.Set(key, answer with { DueAt = clock.GetUtcNow() + UnansweredFor }, UnansweredFor);
                }
            }
        }
        return active;
    }

    /// <summary>
    /// The service's answer for this token, which speaks for its whole session: the token's own signature and
    /// lifetime are checked here already.
    /// </summary>
    private async Task<bool?> AskAsync(string token)
    {
        try
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, _options.Endpoint) { Content = new FormUrlEncodedContent([new("token", token)]) };
            request.Headers.Authorization = _credentials;
            using var response = await _http.SendAsync(request);
            if (response.StatusCode == HttpStatusCode.Unauthorized)
            {
                LogCredentialsRefused(logger, _options.Brand);
                return null;
            }
            if (!response.IsSuccessStatusCode)
            {
                LogUnanswered(logger, (int)response.StatusCode, null);
                return null;
            }
            using var answer = await JsonDocument.ParseAsync(await response.Content.ReadAsStreamAsync());
            return answer.RootElement.TryGetProperty("active", out var active) && active.ValueKind == JsonValueKind.True;
        }
        catch (Exception failure)
        {
            // Whatever went wrong (the network, the answer, a handler of the app's), the service did not say: the
            // question stands, and is asked again shortly, instead of a failed answer being kept for the interval.
            LogUnanswered(logger, 0, failure);
            return null;
        }
    }

    [LoggerMessage(EventId = 2, Level = LogLevel.Error,
        Message = "The service refused the introspection credentials of brand {Brand}: check SessionRevocationOptions.Brand and Secret against the brand's IntrospectionSecret")]
    private static partial void LogCredentialsRefused(ILogger logger, string brand);

    [LoggerMessage(EventId = 3, Level = LogLevel.Warning, Message = "The service could not say whether a session still lives (HTTP status {Status}; 0: no answer)")]
    private static partial void LogUnanswered(ILogger logger, int status, Exception? failure);

    private sealed record SessionKey(string Session);

    private sealed record Answer(Task<bool?> Active, DateTimeOffset DueAt);
}
