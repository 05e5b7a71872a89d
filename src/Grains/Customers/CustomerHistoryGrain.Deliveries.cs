using Microsoft.Extensions.Logging;
using Sessions.Grains.Identity;

namespace Sessions.Grains.Customers;

/// <summary>The deliveries of a customer's security events to the brand's webhook, and the reminder that outlives a silo.</summary>
internal sealed partial class CustomerHistoryGrain
{
    private const string DeliveryReminder = "security-events-webhook";
    private static readonly TimeSpan ReminderPeriod = TimeSpan.FromMinutes(1);

    // The deliveries this activation handed to the webhook that have not ended: a reminder's tick must not start them twice.
    private readonly HashSet<string> _delivering = new(StringComparer.Ordinal);

    // Whether the delivery reminder may exist: this activation registered it, or found deliveries pending when it
    // started. Most histories never have one, and need not ask the reminder table whether they do.
    private bool _mayHaveReminder;

    // Whether this activation registered the reminder: once is enough while deliveries wait.
    private bool _reminderKept;

    // The mark the store sweep looks for (EventsWaitingMark), read when an event is first to wait in this activation,
    // so that a history with the webhook off costs no store read for it.
    private readonly GrainState<EventsWaitingMark> _mark = new(new());
    private bool _markRead;

    // Whether the mark may be stored: this activation found or wrote it, or found events waiting, or the sweep woke it.
    private bool _mayHaveMark;

    public Task DeliveryWaitingAsync() => KeepReminderAsync();

    public async Task<int> ResumeDeliveriesAsync()
    {
        // The sweep found the mark. With nothing waiting behind it, a crash came between the mark and the history's write.
        _mayHaveMark = true;
        if (Undelivered.Count == 0)
        {
            await EndWaitingIfNoneWaitAsync();
            return 0;
        }
        // A new activation has just resumed them (OnActivateAsync); one already active skips those under way.
        await DeliverPendingAsync();
        return Undelivered.Count;
    }

    public async Task DeliveryEndedAsync(string deliveryId)
    {
        if (_delivering.Remove(deliveryId) && _delivering.Count == 0)
        {
            // Nothing left to report on: idle, it is collected as any grain is.
            DelayDeactivation(TimeSpan.Zero);
        }
        if (Undelivered.RemoveAll(d => d.Id == deliveryId) == 0)
        {
            return;
        }
        await state.WriteStateAsync();
        await EndWaitingIfNoneWaitAsync();
    }

    public async Task ReceiveReminder(string reminderName, TickStatus status)
    {
        if (reminderName != DeliveryReminder)
        {
            return;
        }
        _mayHaveReminder = true;
        if (Undelivered.Count == 0)
        {
            await EndWaitingIfNoneWaitAsync();
            return;
        }
        await DeliverPendingAsync();
    }

    /// <summary>Hands every pending delivery not under way here to the webhook; one it cannot take yet waits for the reminder.</summary>
    private async Task DeliverPendingAsync()
    {
        if (!webhook.IsEnabled)
        {
            // The webhook was switched off since: nothing will take them.
            Undelivered.Clear();
            await state.WriteStateAsync();
            await EndWaitingIfNoneWaitAsync();
            return;
        }
        var waiting = false;
        foreach (var delivery in Undelivered.Where(d => !_delivering.Contains(d.Id)).ToList())
        {
            waiting |= !Deliver(delivery, resumed: true);
        }
        if (waiting)
        {
            await KeepReminderAsync();
        }
    }

    private bool Deliver(PendingSecurityEvent delivery, bool resumed)
    {
        var key = this.GetPrimaryKeyString();
        if (!webhook.Deliver(GrainKeys.BrandOfCustomer(key), GrainKeys.CustomerIdOf(key), delivery, this.AsReference<ISecurityEventDeliveries>(), resumed))
        {
            return false;
        }
        _delivering.Add(delivery.Id);
        // Active for as long as the webhook may report on it: a new activation would not know the delivery is under way.
        DelayDeactivation(SecurityEventWebhook.Schedule + ReminderPeriod);
        return true;
    }

    /// <summary>Keeps the reminder while deliveries wait; without it, they resume when the history is next used (2011).</summary>
    private async Task KeepReminderAsync()
    {
        if (_reminderKept)
        {
            return;
        }
        // Even a registration that fails may have reached the table (a write its replicas did not confirm).
        _mayHaveReminder = true;
        try
        {
            await this.RegisterOrUpdateReminder(DeliveryReminder, ReminderPeriod, ReminderPeriod);
            _reminderKept = true;
        }
        catch (Exception e)
        {
            LogReminderFailed(e);
        }
    }

    /// <summary>Marks the history as one the store sweep must wake (<see cref="EventsWaitingMark"/>), unless it is already.</summary>
    private async Task MarkWaitingAsync()
    {
        // Read first even when none is expected: a crash between a mark and its history's write leaves one behind.
        var mark = await ReadMarkAsync();
        _mayHaveMark = true;
        if (mark.RecordExists)
        {
            return;
        }
        mark.State = new() { Since = clock.GetUtcNow() };
        await storage.WriteStateAsync(WaitingMarkName, this.GetGrainId(), mark);
    }

    /// <summary>Once no event waits (the history that says so stored), drops the reminder and the mark.</summary>
    private async Task EndWaitingIfNoneWaitAsync()
    {
        if (Undelivered.Count > 0)
        {
            return;
        }
        await DropReminderAsync();
        if (_mayHaveMark && (await ReadMarkAsync()).RecordExists)
        {
            await storage.ClearStateAsync(WaitingMarkName, this.GetGrainId(), _mark);
        }
        _mayHaveMark = false;
    }

    private async Task<GrainState<EventsWaitingMark>> ReadMarkAsync()
    {
        if (!_markRead)
        {
            await storage.ReadStateAsync(WaitingMarkName, this.GetGrainId(), _mark);
            _markRead = true;
        }
        return _mark;
    }

    private async Task DropReminderAsync()
    {
        if (!_mayHaveReminder)
        {
            return;
        }
        if (await this.GetReminder(DeliveryReminder) is { } reminder)
        {
            await this.UnregisterReminder(reminder);
        }
        (_mayHaveReminder, _reminderKept) = (false, false);
    }

    [LoggerMessage(EventId = 2010, Level = LogLevel.Warning,
        Message = "Security event {Kind} of brand {Brand} dropped: the customer already has {MaxEvents} events waiting for the security events webhook")]
    private partial void LogDropped(string kind, string brand, int maxEvents);

    [LoggerMessage(EventId = 2011, Level = LogLevel.Warning,
        Message = "The reminder that resumes a customer's waiting security events on another silo could not be kept; they are sent when the customer's history is next used")]
    private partial void LogReminderFailed(Exception exception);
}
