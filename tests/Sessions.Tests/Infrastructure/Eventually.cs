using Microsoft.Extensions.Time.Testing;

namespace Sessions.Tests.Infrastructure;

/// <summary>Waits for what the service does off the request that caused it (a delivery, a reminder's tick).</summary>
public static class Eventually
{
    /// <summary>Asks <paramref name="done"/> every 50 ms; fails naming <paramref name="what"/> if it does not hold within <paramref name="within"/>.</summary>
    public static async Task HoldsAsync(Func<Task<bool>> done, TimeSpan within, string what)
    {
        var deadline = DateTime.UtcNow + within;
        while (!await done())
        {
            Assert.True(DateTime.UtcNow < deadline, $"{what}: not within {within.TotalSeconds:F0} s");
            await Task.Delay(50);
        }
    }

    public static Task HoldsAsync(Func<bool> done, TimeSpan within, string what) => HoldsAsync(() => Task.FromResult(done()), within, what);

    /// <summary>
    /// Moves <paramref name="clock"/> on by <paramref name="step"/> every 50 ms until <paramref name="done"/> holds, for
    /// what the service schedules on its clock (a webhook's retries); fails naming <paramref name="what"/> if it does not
    /// hold within 30 s.
    /// </summary>
    public static async Task HoldsAdvancingAsync(FakeTimeProvider clock, TimeSpan step, Func<bool> done, string what)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        var start = clock.GetUtcNow();
        while (!done())
        {
            Assert.True(DateTime.UtcNow < deadline, $"{what}: not within 30 s ({clock.GetUtcNow() - start} on the clock)");
            clock.Advance(step);
            await Task.Delay(50);
        }
    }
}
