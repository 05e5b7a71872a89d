namespace Sessions.Client;

/// <summary>Why a session ended, so that the app can say so (and support can tell a theft from a logout).</summary>
public enum SessionEndedReason
{
    /// <summary>The app logged out (<see cref="SessionKeeper.LogOutAsync"/>), here or in another process sharing the store.</summary>
    LoggedOut,

    /// <summary>
    /// 1525: an older key of this session was presented, so the service revoked the whole family. Someone else held a
    /// copy of the key: treat it as a security event.
    /// </summary>
    Revoked,

    /// <summary>1597 (1596 for the web): the key expired, or the family was revoked (password change, logout elsewhere, support).</summary>
    KeyInvalid,

    /// <summary>1561: the family is bound to another device key than this app's: the app was reinstalled or restored.</summary>
    DeviceKeyMismatch,

    /// <summary>1562: the brand requires device-bound sessions and this one is not bound, or the app lost its device key.</summary>
    DeviceProofRequired,

    /// <summary>The customer moved to a new phone number or e-mail address (here or elsewhere); they log in with the new one.</summary>
    IdentifierChanged,

    /// <summary>
    /// A regenerate got no answer within the service's retry grace: the key may have been rotated by a request whose
    /// answer never came, and presenting it again could revoke the family. The session is given up instead.
    /// </summary>
    RotationLost,

    /// <summary>The stored session could not be read (a corrupt file, a store that lost its encryption key).</summary>
    StoreUnreadable,
}

/// <summary>The <see cref="SessionKeeper.SessionEnded"/> event's data.</summary>
public sealed class SessionEndedEventArgs(string sessionName, SessionEndedReason reason) : EventArgs
{
    /// <summary>The name the session was kept under in the store.</summary>
    public string SessionName { get; } = sessionName;

    public SessionEndedReason Reason { get; } = reason;
}
