using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace Sessions.Client.Keeping;

/// <summary>
/// What the keepers of one <see cref="SessionsClient"/> report, as meter and activity source <c>Sessions.Client</c>:
/// regenerates by flow and outcome, their attempts and replays, callers that joined one in flight, and sessions that
/// ended, by reason. Tags name the flow, outcomes and reasons only: never a key, token, proof or identifier.
/// </summary>
internal sealed class ClientTelemetry : IDisposable
{
    public const string Name = "Sessions.Client";

    private static readonly string? Version = typeof(ClientTelemetry).Assembly.GetName().Version?.ToString();

    /// <summary>The regenerate's span, around the HTTP calls it makes: one per regenerate, however many callers wait for it.</summary>
    public static readonly ActivitySource Source = new(Name, Version);

    private readonly Meter _meter;
    private readonly bool _ownsMeter;
    private readonly Counter<long> _regenerations;
    private readonly Histogram<double> _duration;
    private readonly Counter<long> _attempts;
    private readonly Counter<long> _joined;
    private readonly Counter<long> _ended;

    public ClientTelemetry(IMeterFactory? meters)
    {
        var options = new MeterOptions(Name) { Version = Version };
        // A factory's meters are the factory's to dispose; one made here is the client's.
        (_meter, _ownsMeter) = meters is null ? (new Meter(options), true) : (meters.Create(options), false);
        _regenerations = _meter.CreateCounter<long>("sessions.client.regenerations", "{regenerate}",
            "Regenerates the keeper finished, by flow and outcome (success, ended, unavailable, refused, failed)");
        _duration = _meter.CreateHistogram<double>("sessions.client.regenerate.duration", "s",
            "How long a regenerate took, retries within the grace included, by flow and outcome",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 20, 30] });
        _attempts = _meter.CreateCounter<long>("sessions.client.regenerate.attempts", "{request}",
            "Regenerate requests sent, by what came of them; a replay presents a key an earlier attempt may have rotated");
        _joined = _meter.CreateCounter<long>("sessions.client.refresh.joined", "{caller}",
            "Callers that waited for a regenerate already in flight instead of starting one");
        _ended = _meter.CreateCounter<long>("sessions.client.sessions.ended", "{session}",
            "Sessions that ended and left the store, by reason");
    }

    // Not the session's name: an app may name sessions after the customer.
    public Activity? StartRegenerate(SessionFlow flow) =>
        Source.StartActivity("Sessions.Client.Regenerate")?.SetTag("sessions.flow", FlowName(flow));

    public void Regenerated(Activity? activity, SessionFlow flow, RegenerateOutcome outcome, TimeSpan elapsed, bool keyRotated = false,
        SessionEndedReason? reason = null)
    {
        var tags = new TagList { { "sessions.flow", FlowName(flow) }, { "sessions.outcome", OutcomeName(outcome) } };
        _duration.Record(elapsed.TotalSeconds, tags);
        if (outcome == RegenerateOutcome.Success)
        {
            tags.Add("sessions.key_rotated", keyRotated);
        }
        if (reason is { } ended)
        {
            tags.Add("sessions.end_reason", ended.ToString());
        }
        _regenerations.Add(1, tags);

        if (activity is null)
        {
            return;
        }
        foreach (var tag in tags)
        {
            activity.SetTag(tag.Key, tag.Value);
        }
        if (outcome != RegenerateOutcome.Success)
        {
            activity.SetStatus(ActivityStatusCode.Error, reason?.ToString() ?? OutcomeName(outcome));
        }
    }

    public void Attempted(Activity? activity, SessionFlow flow, AttemptResult result, bool replay)
    {
        _attempts.Add(1, new TagList { { "sessions.flow", FlowName(flow) }, { "sessions.attempt.result", AttemptName(result) }, { "sessions.attempt.replay", replay } });
        activity?.AddEvent(new ActivityEvent("attempt", tags: new ActivityTagsCollection
        {
            ["sessions.attempt.result"] = AttemptName(result),
            ["sessions.attempt.replay"] = replay,
        }));
    }

    public void Joined() => _joined.Add(1);

    public void Ended(SessionEndedReason reason) => _ended.Add(1, new KeyValuePair<string, object?>("sessions.end_reason", reason.ToString()));

    public void Dispose()
    {
        if (_ownsMeter)
        {
            _meter.Dispose();
        }
    }

    private static string FlowName(SessionFlow flow) => flow switch
    {
        SessionFlow.Primary => "primary",
        SessionFlow.Mfa => "mfa",
        _ => "web",
    };

    private static string OutcomeName(RegenerateOutcome outcome) => outcome switch
    {
        RegenerateOutcome.Success => "success",
        RegenerateOutcome.Ended => "ended",
        RegenerateOutcome.Unavailable => "unavailable",
        RegenerateOutcome.Refused => "refused",
        _ => "failed",
    };

    private static string AttemptName(AttemptResult result) => result switch
    {
        AttemptResult.Answered => "answered",
        AttemptResult.Unreachable => "unreachable",
        AttemptResult.Unavailable => "unavailable",
        _ => "proof_refused",
    };
}

/// <summary>How a regenerate ended for its callers.</summary>
internal enum RegenerateOutcome
{
    /// <summary>A new token (and, where the brand rotates, a new key) is stored.</summary>
    Success,

    /// <summary>The session ended (<see cref="SessionEndedException"/>).</summary>
    Ended,

    /// <summary>The service could not be reached or was unavailable within the grace; the session is kept.</summary>
    Unavailable,

    /// <summary>The service refused for a reason that does not end the session (<see cref="SessionsApiException"/>).</summary>
    Refused,

    /// <summary>Anything else: the store, or the device key provider, failed.</summary>
    Failed,
}

/// <summary>What came of one regenerate request.</summary>
internal enum AttemptResult
{
    /// <summary>The service answered, and the answer decides the regenerate.</summary>
    Answered,

    /// <summary>No answer: the request never left, or its answer was lost.</summary>
    Unreachable,

    /// <summary>An answer that says to try again (1599, 429, 408, another 5xx).</summary>
    Unavailable,

    /// <summary>A device proof the service could not accept (1560); tried once more with a fresh proof.</summary>
    ProofRefused,
}
