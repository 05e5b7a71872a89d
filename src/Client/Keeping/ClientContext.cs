using System.Text.Json;
using Microsoft.Extensions.Logging;
using Sessions.Client.DeviceKeys;
using Sessions.Client.Storage;
using Sessions.Client.Transport;

namespace Sessions.Client.Keeping;

/// <summary>What every flow and keeper of one <see cref="SessionsClient"/> shares.</summary>
internal sealed class ClientContext(SessionsTransport transport, ISessionStore store, IDeviceKeyProvider deviceKeys, TimeProvider time, ILogger logger,
    ClientTelemetry telemetry)
{
    public SessionsClientOptions Options => transport.Options;

    public ISessionStore Store => store;

    public IDeviceKeyProvider DeviceKeys => deviceKeys;

    public TimeProvider Time => time;

    public ILogger Logger => logger;

    public ClientTelemetry Telemetry => telemetry;

    /// <summary>The newest <c>DPoP-Nonce</c> the service handed out (the same on every Api process of a deployment).</summary>
    public string? DeviceNonce { get; set; }

    /// <summary>Server time minus this device's clock, from the newest <c>Date</c> header; zero until one arrives.</summary>
    public TimeSpan ClockOffset { get; set; }

    public DateTimeOffset ServerNow => time.GetUtcNow() + ClockOffset;

    /// <summary>Every call to the service: the answer, with what its headers tell (clock, nonce) taken on the way.</summary>
    public async Task<ApiAnswer> PostAsync(string path, DeviceIdentity who, Action<Utf8JsonWriter> fields, string? deviceProof, CancellationToken cancellationToken)
    {
        var answer = await transport.PostAsync(path, who, fields, deviceProof, cancellationToken).ConfigureAwait(false);
        Learn(answer, time.GetUtcNow());
        return answer;
    }

    /// <summary>Takes what an answer's headers tell: the server's time and its newest nonce.</summary>
    private void Learn(ApiAnswer answer, DateTimeOffset receivedAt)
    {
        if (answer.ServerDate is { } serverDate)
        {
            // Date has a resolution of one second; an offset under two seconds is noise, not skew.
            var offset = serverDate - receivedAt;
            ClockOffset = offset.Duration() < TimeSpan.FromSeconds(2) ? TimeSpan.Zero : offset;
        }
        if (answer.DeviceNonce is not null)
        {
            DeviceNonce = answer.DeviceNonce;
        }
    }

    public static string Serialize(StoredSession session) => JsonSerializer.Serialize(session, ClientJson.Default.StoredSession);

    /// <summary>The stored session, or null when the content is not one this version can read.</summary>
    public static StoredSession? Deserialize(string content)
    {
        try
        {
            var session = JsonSerializer.Deserialize(content, ClientJson.Default.StoredSession);
            return session is { Format: <= StoredSession.CurrentFormat } ? session : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }
}
