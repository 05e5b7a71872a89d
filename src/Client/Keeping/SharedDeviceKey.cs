using Sessions.Client.DeviceKeys;

namespace Sessions.Client.Keeping;

/// <summary>
/// The device key that a keeper's callers sign with. When the keeper lets go of it (a new login, the end of the
/// session, the client's disposal) while a caller is still signing, the key is disposed once that caller is done,
/// never under it: the caller's request then meets the session's end at the service, not an <see cref="ObjectDisposedException"/>.
/// </summary>
internal sealed class SharedDeviceKey(IDeviceKey key)
{
    private readonly IDeviceKey _key = key;
    private readonly Lock _gate = new();
    private int _users;
    private bool _retired;

    public string Handle => _key.Handle;

    /// <summary>A use of the key that keeps it undisposed until it ends; null once the keeper has let go of the key.</summary>
    public Use? TryUse()
    {
        lock (_gate)
        {
            if (_retired)
            {
                return null;
            }
            _users++;
            return new Use(this);
        }
    }

    /// <summary>Disposes the key now, or when its last use ends.</summary>
    public void Retire()
    {
        lock (_gate)
        {
            if (_retired)
            {
                return;
            }
            _retired = true;
            if (_users > 0)
            {
                return;
            }
        }
        _key.Dispose();
    }

    private void EndUse()
    {
        lock (_gate)
        {
            if (--_users > 0 || !_retired)
            {
                return;
            }
        }
        _key.Dispose();
    }

    public sealed class Use(SharedDeviceKey shared) : IDisposable
    {
        private int _ended;

        public IDeviceKey Key => shared._key;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _ended, 1) == 0)
            {
                shared.EndUse();
            }
        }
    }
}
