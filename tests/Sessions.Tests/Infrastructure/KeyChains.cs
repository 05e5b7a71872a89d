using System.Diagnostics;
using System.Net;

namespace Sessions.Tests.Infrastructure;

/// <summary>
/// Device sessions logged in over HTTP, each holding the last key it was given, as a fleet of apps holds them. A
/// regenerate that succeeds moves the chain on; the chain is intact while the last key keeps working.
/// </summary>
public sealed class KeyChains
{
    private KeyChains(TestDevice[] devices, string[] keys, int loginsRefused) =>
        (Devices, Keys, LoginsRefused) = (devices, keys, loginsRefused);

    public TestDevice[] Devices { get; }

    public string[] Keys { get; }

    public int Count => Devices.Length;

    /// <summary>Logins answered 1599 and made again (<see cref="LogInOneAsync"/>), for a test's output.</summary>
    public int LoginsRefused { get; }

    /// <summary>
    /// <paramref name="count"/> device sessions logged in at once. With <paramref name="retryUnavailable"/>, a login
    /// answered 1599 is made again (<see cref="LogInOneAsync"/>); without it, as where the store never refuses a healthy
    /// write, any refusal fails the set-up.
    /// </summary>
    public static async Task<KeyChains> LogInAsync(SessionsClient client, int count, bool retryUnavailable = false)
    {
        var chains = await Task.WhenAll(Enumerable.Range(0, count).Select(_ => LogInOneAsync(client, retryUnavailable ? 3 : 1)));
        return new KeyChains([.. chains.Select(c => c.Device)], [.. chains.Select(c => c.Key)], chains.Sum(c => c.Refused));
    }

    /// <summary>
    /// One app's login, made up to <paramref name="tries"/> times. An answer of 1599 means "try again": the service
    /// vouched for nothing, and an app logs in again, as this does, on a fresh device. A store that waits for its replicas refuses so now and then: with Redis Cluster
    /// and replica acknowledgements on, the first seconds of 60 parallel logins had a <c>WAIT</c> run out its 200 ms, with
    /// the replica online and no lag, in 3 runs of 8 of <c>RedisClusterFailoverTests</c> here (2026-12-05).
    /// </summary>
    private static async Task<(TestDevice Device, string Key, int Refused)> LogInOneAsync(SessionsClient client, int tries)
    {
        for (var attempt = 1; ; attempt++)
        {
            var device = TestDevice.NewMobile();
            try
            {
                return (device, (await client.MfaLoginAsync(device, device)).Key!, attempt - 1);
            }
            catch (UnexpectedAnswerException e) when (e.Answer.Code == 1599 && attempt < tries)
            {
            }
        }
    }

    /// <summary>One regenerate of chain <paramref name="i"/> with its last key; a success moves the chain on.</summary>
    public async Task<ApiResponse> RegenerateAsync(SessionsClient client, int i)
    {
        var response = await client.PostAsync("mfa/token/regenerate", Devices[i].Body(("key", Keys[i])));
        if (response.Status == HttpStatusCode.OK && response.Success)
        {
            Keys[i] = response.Key!;
        }
        return response;
    }

    /// <summary>
    /// Rotates every chain in a loop (one caller per chain, as one app holds one key) until <paramref name="stop"/>:
    /// what each answer was, and when, for the tests that break the store under it.
    /// </summary>
    public async Task<RotationLog> RotateUntilAsync(SessionsClient client, CancellationToken stop)
    {
        var log = new RotationLog(Count);
        await Task.WhenAll(Enumerable.Range(0, Count).Select(i => Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                var response = await RegenerateAsync(client, i);
                log.Record(i, response);
                if (!response.Success)
                {
                    await Task.Delay(100);
                }
            }
        })));
        return log;
    }

    /// <summary>
    /// Regenerates every chain once, all at the same time, retrying a 503 as an app would (with the same key) until
    /// <paramref name="deadline"/>; fails on any other answer. Returns when the last chain succeeded.
    /// </summary>
    public async Task RegenerateAllAsync(SessionsClient client, Stopwatch clock, TimeSpan deadline)
    {
        await Task.WhenAll(Enumerable.Range(0, Count).Select(async i =>
        {
            var (attempts, slowest) = (0, TimeSpan.Zero);
            while (true)
            {
                var sent = Stopwatch.StartNew();
                var response = await RegenerateAsync(client, i);
                (attempts, slowest) = (attempts + 1, sent.Elapsed > slowest ? sent.Elapsed : slowest);
                if (response.Status == HttpStatusCode.OK && response.Success)
                {
                    return;
                }
                Assert.True(response.Status == HttpStatusCode.ServiceUnavailable && response.Code == 1599,
                    $"chain {i}: {(int)response.Status} {response.Body}");
                Assert.True(clock.Elapsed < deadline, $"chain {i} still answered 1599 after {clock.Elapsed.TotalSeconds:F1} s "
                    + $"({attempts} attempts, the slowest answered in {slowest.TotalSeconds:F1} s)");
                await Task.Delay(250);
            }
        }));
    }
}

/// <summary>The answers of a rotating load, by chain: what was acknowledged (and when), refused with 1599, or neither.</summary>
public sealed class RotationLog(int chains)
{
    private readonly System.Collections.Concurrent.ConcurrentQueue<(int Chain, DateTime At, int Code)> _answers = new();

    public void Record(int chain, ApiResponse response) => _answers.Enqueue((chain, DateTime.UtcNow, response.Code));

    public int Acknowledged => _answers.Count(a => a.Code == 200);

    public int Refused => _answers.Count(a => a.Code == 1599);

    /// <summary>Answers that are neither a success nor a 1599: a chain the store broke.</summary>
    public IReadOnlyList<(int Chain, DateTime At, int Code)> Broken => [.. _answers.Where(a => a.Code is not (200 or 1599))];

    /// <summary>Rotations acknowledged to chain <paramref name="chain"/> between two instants.</summary>
    public int AcknowledgedBetween(int chain, DateTime from, DateTime to) => _answers.Count(a => a.Chain == chain && a.Code == 200 && a.At > from && a.At < to);

    public override string ToString() => $"{Acknowledged} rotations acknowledged and {Refused} refused with 1599 over {chains} chains";
}
