using System.Diagnostics;
using System.Text.Json;
using Sessions.Tests.Infrastructure;
using StackExchange.Redis;
using Xunit.Abstractions;

namespace Sessions.Tests.Cluster;

/// <summary>
/// Real silo processes and an API client on one store, killed with SIGKILL as a crashed machine would be (one silo,
/// then every silo at once) or frozen with SIGSTOP as a stalled one. Each time every device session regenerates with the
/// last key it was given, within 30 s (README "Run a cluster" has the measured times and the membership settings behind
/// them).
/// </summary>
public sealed class SiloCrashTests(ITestOutputHelper output)
{
    private static readonly TimeSpan HealingBound = TimeSpan.FromSeconds(30);

    // A frozen silo is declared dead later than a killed one: probes to it time out rather than being refused (25–34 s
    // measured here with two silos).
    private static readonly TimeSpan FrozenSiloBound = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task ASigkilledSiloHealsWithin30SecondsAndItsReplacementLosesNoKey()
    {
        await using var cluster = await ProcessCluster.StartAsync(TestCluster.OnTestStore("kill-one"));
        await cluster.ExplainingFailureAsync(output, async () =>
        {
            var chains = await KeyChains.LogInAsync(cluster.Client, 20);
            await chains.RegenerateAllAsync(cluster.Client, Stopwatch.StartNew(), HealingBound);

            cluster.Kill(1);
            var sinceKill = Stopwatch.StartNew();
            await chains.RegenerateAllAsync(cluster.Client, sinceKill, HealingBound);
            output.WriteLine($"one silo SIGKILLed: every chain regenerated {sinceKill.Elapsed.TotalSeconds:F1} s after the kill");

            await cluster.ReplaceAsync(1);
            await cluster.WaitForActiveSilosAsync();
            await chains.RegenerateAllAsync(cluster.Client, Stopwatch.StartNew(), HealingBound);
        });
    }

    [Fact]
    public async Task AFrozenSiloCostsNoMoreThanA1599AndTheRequestsItHeldRevokeNothingWhenItThaws()
    {
        await using var cluster = await ProcessCluster.StartAsync(TestCluster.OnTestStore("freeze-one"));
        await cluster.ExplainingFailureAsync(output, async () =>
        {
            var chains = await KeyChains.LogInAsync(cluster.Client, 20);
            await chains.RegenerateAllAsync(cluster.Client, Stopwatch.StartNew(), HealingBound);

            // Unlike a crash, nothing refuses a connection: calls to the frozen silo's grains and to its part of the grain
            // directory wait until they expire. Every answer meanwhile is a success or a 1599, never an internal error.
            cluster.Freeze(1);
            var sinceFreeze = Stopwatch.StartNew();
            await chains.RegenerateAllAsync(cluster.Client, sinceFreeze, FrozenSiloBound);
            output.WriteLine($"one silo SIGSTOPped: every chain regenerated {sinceFreeze.Elapsed.TotalSeconds:F1} s after the freeze");

            // Thawed, it passes on the requests it held, long after the API gave up on them and retried. Run, one would
            // present a key its app has since moved past, and revoke the family (1525 below): each is dropped unrun.
            cluster.Thaw(1);
            await chains.RegenerateAllAsync(cluster.Client, Stopwatch.StartNew(), HealingBound);
            var dropped = Enumerable.Range(0, cluster.SiloCount)
                .Sum(i => cluster.SiloOutput(i).Split('\n').Count(l => l.Contains("after its caller gave up", StringComparison.Ordinal)));
            output.WriteLine($"thawed: {dropped} request(s) it held reached their grain late and were dropped unrun");
            await cluster.ReplaceAsync(1);
            await cluster.WaitForActiveSilosAsync();
            await chains.RegenerateAllAsync(cluster.Client, Stopwatch.StartNew(), HealingBound);
        });
    }

    [Fact]
    public async Task AWholeClusterSigkillHealsWithin30SecondsOfTheNewSilosStart()
    {
        await using var cluster = await ProcessCluster.StartAsync(TestCluster.OnTestStore("kill-all"));
        await cluster.ExplainingFailureAsync(output, async () =>
        {
            var chains = await KeyChains.LogInAsync(cluster.Client, 24);
            await chains.RegenerateAllAsync(cluster.Client, Stopwatch.StartNew(), HealingBound);

            cluster.KillAll();
            for (var i = 0; i < cluster.SiloCount; i++)
            {
                await cluster.ReplaceAsync(i);
            }
            var sinceStart = Stopwatch.StartNew();
            await chains.RegenerateAllAsync(cluster.Client, sinceStart, HealingBound);
            output.WriteLine($"every silo SIGKILLed: every chain regenerated {sinceStart.Elapsed.TotalSeconds:F1} s after the new silos started");

            await chains.RegenerateAllAsync(cluster.Client, Stopwatch.StartNew(), TimeSpan.FromSeconds(5));
        });
    }

    [Fact]
    public async Task SecurityEventsWaitingForTheWebhookWhenEverySiloIsSigkilledAreDeliveredByTheNewSilos()
    {
        const int customers = 6;
        await using var webhook = await WebhookReceiver.StartAsync();
        webhook.FlakyRefusals = int.MaxValue;
        var settings = TestCluster.OnTestStore("webhook-kill-all");
        settings["Sessions:SecurityEvents:Webhook:Url"] = webhook.Url + "/flaky";
        settings["Sessions:SecurityEvents:Webhook:Secret"] = "security-events-secret-of-32-characters!";
        await using var cluster = await ProcessCluster.StartAsync(settings);
        await cluster.ExplainingFailureAsync(output, async () =>
        {
            for (var i = 0; i < customers; i++)
            {
                Assert.True((await cluster.Client.LoginAsync(TestDevice.NewMobile())).Success);
            }
            // Each login's event was refused and waits for its next try; its customer's history keeps a reminder.
            await Eventually.HoldsAsync(async () => Ids(webhook.Refused).Count == customers && await RemindersAsync(settings) == customers,
                TimeSpan.FromSeconds(20), "every event refused, with a reminder each");
            var refused = Ids(webhook.Refused);

            cluster.KillAll();
            webhook.FlakyRefusals = webhook.FlakyCalls;
            for (var i = 0; i < cluster.SiloCount; i++)
            {
                await cluster.ReplaceAsync(i);
            }
            var sinceStart = Stopwatch.StartNew();
            // Nothing calls the customers' histories: the reminders bring them back on the new silos.
            await Eventually.HoldsAsync(() => refused.IsSubsetOf(Ids(webhook.Received.Select(r => r.Body))), TimeSpan.FromSeconds(180), "every refused event delivered");
            output.WriteLine($"every silo SIGKILLed: the {customers} waiting events were delivered {sinceStart.Elapsed.TotalSeconds:F1} s after the new silos started");
            await Eventually.HoldsAsync(async () => await RemindersAsync(settings) == 0, TimeSpan.FromSeconds(10), "no reminder left");
        });
    }

    [Fact]
    public async Task AKeyReuseAlarmWhoseFirstTryIsUnderWayWhenEverySiloIsSigkilledIsDeliveredByTheNewSilos()
    {
        await using var webhook = await WebhookReceiver.StartAsync();
        var settings = TestCluster.OnTestStore("webhook-alarm-kill");
        settings["Sessions:SecurityEvents:Webhook:Url"] = webhook.Url + "/held";
        settings["Sessions:SecurityEvents:Webhook:Secret"] = "security-events-secret-of-32-characters!";
        // The held first try stays under way until the kill, never timing out into a failed try (which keeps a reminder anyway).
        settings["Sessions:SecurityEvents:Webhook:TimeoutSeconds"] = "60";
        await using var cluster = await ProcessCluster.StartAsync(settings);
        await cluster.ExplainingFailureAsync(output, async () =>
        {
            var phone = TestDevice.NewMobile();
            var login = await cluster.Client.LoginAsync(phone);
            var next = await SessionsClient.Ok(cluster.Client.PostAsync("token/regenerate", phone.Body(("key", login.Key))));
            await SessionsClient.Ok(cluster.Client.PostAsync("token/regenerate", phone.Body(("key", next.Key))));
            // The first key, two rotations old: a copy of it is in someone else's hands.
            Assert.Equal(1525, (await cluster.Client.PostAsync("token/regenerate", phone.Body(("key", login.Key)))).Code);
            await Eventually.HoldsAsync(() => Bodies(webhook.Held, "KEY_REUSE_DETECTED").Count == 1, TimeSpan.FromSeconds(20), "the alarm's first try under way");
            var alarm = Ids(Bodies(webhook.Held, "KEY_REUSE_DETECTED")).Single();
            // No try has failed, yet the customer's history keeps a reminder: the alarm must not wait for its next use.
            Assert.Equal(1, await RemindersAsync(settings));

            cluster.KillAll();
            webhook.ReleaseHeld();
            for (var i = 0; i < cluster.SiloCount; i++)
            {
                await cluster.ReplaceAsync(i);
            }
            var sinceStart = Stopwatch.StartNew();
            await Eventually.HoldsAsync(() => Ids(webhook.Received.Select(r => r.Body)).Contains(alarm), TimeSpan.FromSeconds(180), "the alarm delivered");
            output.WriteLine($"every silo SIGKILLed during the alarm's first try: delivered {sinceStart.Elapsed.TotalSeconds:F1} s after the new silos started");
        });
    }

    [Fact]
    public async Task ALoginEventWhoseFirstTryIsUnderWayWhenEverySiloIsSigkilledIsDeliveredByTheNextStoreSweep()
    {
        await using var webhook = await WebhookReceiver.StartAsync();
        var settings = TestCluster.OnTestStore("webhook-sweep-kill");
        foreach (var (name, value) in TestAdminKeys.Settings())
        {
            settings[name] = value;
        }
        settings["Sessions:SecurityEvents:Webhook:Url"] = webhook.Url + "/held";
        settings["Sessions:SecurityEvents:Webhook:Secret"] = "security-events-secret-of-32-characters!";
        settings["Sessions:SecurityEvents:Webhook:TimeoutSeconds"] = "60";
        await using var cluster = await ProcessCluster.StartAsync(settings);
        await cluster.ExplainingFailureAsync(output, async () =>
        {
            Assert.True((await cluster.Client.LoginAsync(TestDevice.NewMobile())).Success);
            await Eventually.HoldsAsync(() => Bodies(webhook.Held, "LOGIN").Count == 1, TimeSpan.FromSeconds(20), "the login's first try under way");
            var login = Ids(Bodies(webhook.Held, "LOGIN")).Single();
            // A login keeps no reminder (a reminder-table write on every login would cost more than the delay it saves),
            // only the small mark beside the history that the sweep looks for.
            Assert.Equal((0, 1), (await RemindersAsync(settings), await WaitingMarksAsync(settings)));

            cluster.KillAll();
            // The try died with its silo, unanswered: no answer the endpoint gives from now on can count for it.
            await Eventually.HoldsAsync(() => Ids(webhook.Abandoned).Contains(login), TimeSpan.FromSeconds(20), "the first try abandoned");
            webhook.ReleaseHeld();
            for (var i = 0; i < cluster.SiloCount; i++)
            {
                await cluster.ReplaceAsync(i);
            }
            await cluster.WaitForActiveSilosAsync();
            // Nothing calls the customer's history, and nothing reminds it: the event waits in the store.
            Assert.DoesNotContain(login, Ids(webhook.Received.Select(r => r.Body)));

            var sweep = await cluster.Client.SweepStoreAsync(TestAdminKeys.Support);
            await Eventually.HoldsAsync(() => Ids(webhook.Received.Select(r => r.Body)).Contains(login), TimeSpan.FromSeconds(20), "the login event delivered");

            Assert.Equal((1, 0), (sweep.GetProperty("eventsResumed").GetInt64(), sweep.GetProperty("failed").GetInt64()));
            // Delivered, the event leaves the history's waiting list, and the mark goes with it.
            await Eventually.HoldsAsync(async () => await WaitingMarksAsync(settings) == 0, TimeSpan.FromSeconds(10), "no mark left");
        });
    }

    /// <summary>How many customers' histories the store marks as holding events that wait for the webhook.</summary>
    private static async Task<int> WaitingMarksAsync(Dictionary<string, string?> settings)
    {
        await using var redis = await ConnectionMultiplexer.ConnectAsync(TestStore.ConnectionString);
        return await redis.GetServers().Single().KeysAsync(pattern: $"{settings["Sessions:Cluster:ServiceId"]}/state/customer-history/*/customer-history-waiting").CountAsync();
    }

    private static List<string> Bodies(IEnumerable<string> bodies, string kind) =>
        [.. bodies.Where(body => JsonDocument.Parse(body).RootElement.GetProperty("kind").GetString() == kind)];

    private static HashSet<string> Ids(IEnumerable<string> bodies) =>
        [.. bodies.Select(body => JsonDocument.Parse(body).RootElement.GetProperty("id").GetString()!)];

    /// <summary>
    /// How many reminders of customers' histories the cluster's reminder table holds (Orleans' Redis provider: one sorted
    /// set per service, a member per reminder, naming its grain); the store sweep keeps one of its own.
    /// </summary>
    private static async Task<long> RemindersAsync(Dictionary<string, string?> settings)
    {
        await using var redis = await ConnectionMultiplexer.ConnectAsync(TestStore.ConnectionString);
        var members = await redis.GetDatabase().SortedSetRangeByRankAsync($"{settings["Sessions:Cluster:ServiceId"]}/reminders");
        return members.Count(m => ((string)m!).Contains("customer-history", StringComparison.Ordinal));
    }
}
