namespace Sessions.Client;

/// <summary>The <see cref="SessionKeeper.TokenRefreshed"/> event's data: when the new token expires, not the token itself.</summary>
public sealed class TokenRefreshedEventArgs(string sessionName, DateTimeOffset expiresAt) : EventArgs
{
    /// <summary>The name the session is kept under in the store.</summary>
    public string SessionName { get; } = sessionName;

    /// <summary>When the new token expires, on the service's clock.</summary>
    public DateTimeOffset ExpiresAt { get; } = expiresAt;
}
