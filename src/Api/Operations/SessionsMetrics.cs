using System.Diagnostics;
using System.Diagnostics.Metrics;
using Sessions.Grains;
using Sessions.Grains.Contracts;

namespace Sessions.Api.Operations;

/// <summary>
/// The service's own instruments (meter <c>Sessions</c>), exported with the ASP.NET Core, runtime and Orleans
/// meters at <c>/metrics</c>. Prometheus names: <c>sessions_requests_total</c>, <c>sessions_request_duration_seconds</c>,
/// <c>sessions_otp_sent_total</c>, <c>sessions_otp_failed_total</c>, <c>sessions_logins_total</c>,
/// <c>sessions_regenerations_total</c>, <c>sessions_key_reuse_detected_total</c>, <c>sessions_device_key_mismatches_total</c>,
/// <c>sessions_identifier_locks_total</c>, <c>sessions_retries_total</c>, <c>sessions_retries_skipped_total</c>.
/// </summary>
public sealed class SessionsMetrics : IDisposable
{
    public const string MeterName = "Sessions";

    private readonly Meter _meter;
    private readonly Counter<long> _requests;
    private readonly Histogram<double> _duration;
    private readonly Counter<long> _otpSent;
    private readonly Counter<long> _otpFailed;
    private readonly Counter<long> _logins;
    private readonly Counter<long> _regenerations;
    private readonly Counter<long> _reuse;
    private readonly Counter<long> _deviceKeyMismatches;
    private readonly Counter<long> _locks;
    private readonly Counter<long> _retries;
    private readonly Counter<long> _retriesSkipped;

    public SessionsMetrics(IMeterFactory meters)
    {
        _meter = meters.Create(MeterName);
        _requests = _meter.CreateCounter<long>("sessions.requests", description: "Requests by endpoint and envelope code");
        _duration = _meter.CreateHistogram<double>("sessions.request.duration", unit: "s", description: "Request latency by endpoint and envelope code",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5] });
        _otpSent = _meter.CreateCounter<long>("sessions.otp.sent", description: "OTPs handed to the sender");
        _otpFailed = _meter.CreateCounter<long>("sessions.otp.failed", description: "OTPs not sent: delivery failed, limit or lock");
        _logins = _meter.CreateCounter<long>("sessions.logins", description: "Credential checks by flow, factor and outcome");
        _regenerations = _meter.CreateCounter<long>("sessions.regenerations", description: "Regenerate calls by flow, outcome and whether the key rotated");
        _reuse = _meter.CreateCounter<long>("sessions.key.reuse_detected", description: "Replayed keys that revoked their family");
        _deviceKeyMismatches = _meter.CreateCounter<long>("sessions.device_key.mismatches", description: "Keys presented with a proof by another device key than their family's");
        _locks = _meter.CreateCounter<long>("sessions.identifier.locks", description: "Requests refused because the identifier is locked");
        _retries = _meter.CreateCounter<long>("sessions.retries", description: "Regenerate grain calls tried again after a failure of the cluster or the store");
        _retriesSkipped = _meter.CreateCounter<long>("sessions.retries.skipped", description: "Regenerates the store failed during a store outage, answered 1599 at once instead of retried");
    }

    public void Request(string endpoint, int code, TimeSpan elapsed)
    {
        var tags = new TagList { { "endpoint", endpoint }, { "code", code } };
        _requests.Add(1, tags);
        _duration.Record(elapsed.TotalSeconds, tags);
    }

    public void OtpSent(string brand, SessionFlow flow) => _otpSent.Add(1, Tags(brand, flow));

    public void OtpFailed(string brand, SessionFlow flow, AuthError error) => _otpFailed.Add(1, Tags(brand, flow, error));

    public void Login(string brand, SessionFlow flow, string factor, AuthError error)
    {
        var tags = Tags(brand, flow, error);
        tags.Add("factor", factor);
        _logins.Add(1, tags);
    }

    public void Regenerated(string brand, SessionFlow flow, AuthError error, bool rotated)
    {
        var tags = Tags(brand, flow, error);
        tags.Add("rotated", rotated);
        _regenerations.Add(1, tags);
        if (error == AuthError.KeyReused)
        {
            _reuse.Add(1, Tags(brand, flow));
        }
        else if (error == AuthError.DeviceKeyMismatch)
        {
            _deviceKeyMismatches.Add(1, Tags(brand, flow));
        }
    }

    /// <summary>A bound family's token on an account call with another device key's proof: a copied token, counted with the copied keys.</summary>
    public void TokenDeviceKeyMismatch(string brand) => _deviceKeyMismatches.Add(1, new TagList { { "brand", brand }, { "flow", "AccountCall" } });

    public void Locked(string brand) => _locks.Add(1, new TagList { { "brand", brand } });

    /// <summary>A regenerate's grain call tried again; <paramref name="cause"/> is <c>cluster</c> or <c>store</c>.</summary>
    public void Retried(string cause) => _retries.Add(1, new TagList { { "cause", cause } });

    public void RetrySkipped() => _retriesSkipped.Add(1);

    public void Dispose() => _meter.Dispose();

    private static TagList Tags(string brand, SessionFlow flow) => new() { { "brand", brand }, { "flow", flow.ToString() } };

    private static TagList Tags(string brand, SessionFlow flow, AuthError error) =>
        new() { { "brand", brand }, { "flow", flow.ToString() }, { "outcome", error == AuthError.None ? "success" : ((int)error).ToString(System.Globalization.CultureInfo.InvariantCulture) } };
}
