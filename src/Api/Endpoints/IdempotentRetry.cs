using Sessions.Api.Envelope;

namespace Sessions.Api.Endpoints;

/// <summary>
/// Retries a grain call that may safely run twice, so that a silo stopping or crashing under a request does not reach
/// the client. A regenerate qualifies: if the first try committed a rotation and only its answer was lost, the retry
/// presents the same key within the reuse grace and gets the same successor (API.md §5). Calls that consume
/// something (an OTP, a send from the window) are never retried here; their client retries on 1599.
/// </summary>
public static class IdempotentRetry
{
    // About the time Orleans needs to move a gracefully stopping silo's grains and the client to drop its gateway;
    // a store outage is not hidden for longer than this before the client hears 1599.
    private static readonly TimeSpan[] Backoff = [TimeSpan.FromMilliseconds(50), TimeSpan.FromMilliseconds(200), TimeSpan.FromMilliseconds(500), TimeSpan.FromSeconds(1)];

    public static async Task<T> CallAsync<T>(Func<Task<T>> call)
    {
        for (var attempt = 0; ; attempt++)
        {
            try
            {
                return await call();
            }
            catch (Exception e) when (attempt < Backoff.Length && TransientFailures.IsTransient(e))
            {
                await Task.Delay(Backoff[attempt]);
            }
        }
    }
}
