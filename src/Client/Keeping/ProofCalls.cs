using System.Text.Json;
using Sessions.Client.DeviceKeys;
using Sessions.Client.Transport;

namespace Sessions.Client.Keeping;

/// <summary>
/// A call that may carry a device proof (API.md §4.7): a fresh proof per attempt, dated by the server's clock as the
/// last answer told it, and the <c>DPoP-Nonce</c> round trip (<c>1563</c>) done once, out of the app's sight.
/// </summary>
internal static class ProofCalls
{
    public const int ProofNeedsNonce = 1563;

    /// <summary>
    /// Posts with a proof by <paramref name="deviceKey"/>, if any; one that comes with a USER token (an account call's)
    /// names it (<c>ath</c>, RFC 9449 §7).
    /// </summary>
    public static async Task<ApiAnswer> PostAsync(ClientContext context, string path, DeviceIdentity who, Action<Utf8JsonWriter> fields,
        IDeviceKey? deviceKey, string? accessToken, CancellationToken cancellationToken)
    {
        for (var attempt = 0; ; attempt++)
        {
            var proof = deviceKey is null ? null
                : await DeviceProofs.CreateAsync(deviceKey, HttpMethod.Post, context.Options.Endpoint(path), context.ServerNow, context.DeviceNonce, accessToken, cancellationToken).ConfigureAwait(false);
            var answer = await context.PostAsync(path, who, fields, proof, cancellationToken).ConfigureAwait(false);
            if (answer.Code == ProofNeedsNonce && answer.DeviceNonce is not null && attempt == 0)
            {
                continue;
            }
            return answer;
        }
    }
}
