namespace Sessions.ResourceServer;

/// <summary>
/// How a resource server asks the service whether a token's session still lives (<see cref="SessionRevocations"/>):
/// RFC 7662 introspection with the brand's client credentials, once per session and <see cref="RecheckAfter"/>.
/// </summary>
public sealed class SessionRevocationOptions
{
    /// <summary>The service's introspection endpoint, <c>https://sessions.example/auth/v1/token/introspect</c>: https unless on this machine.</summary>
    public Uri? Endpoint { get; set; }

    /// <summary>The brand, the user name of its introspection client.</summary>
    public string Brand { get; set; } = "";

    /// <summary>The brand's <c>IntrospectionSecret</c>.</summary>
    public string Secret { get; set; } = "";

    /// <summary>
    /// How long an answer for a session holds: a session signed out is refused at most this long after (at most 15
    /// minutes, a token's life); each process asks about each session in use about once per interval.
    /// </summary>
    public TimeSpan RecheckAfter { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// What to do with a token while the service cannot answer: false (the default), accept it on its signature and
    /// lifetime alone, as without this check, and log a warning; true, refuse it with 503 and <c>Retry-After</c>.
    /// </summary>
    public bool RefuseWhenUnavailable { get; set; }

    /// <summary>The client that asks (a new one, waiting at most 5 s, if none).</summary>
    public HttpClient? Backchannel { get; set; }
}
