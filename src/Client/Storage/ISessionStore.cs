namespace Sessions.Client.Storage;

/// <summary>
/// Where the keeper keeps sessions: the key, the token and the rotation in flight. Everything that shares a store shares
/// its sessions, across processes too (an app and its extension), so the store's lock is what makes a regenerate
/// single-flight among them.
/// </summary>
/// <remarks>
/// The content holds a live credential: keep it where only the app can read it (file permissions, the platform's
/// secure storage). <see cref="SaveAsync"/> must be durable when it returns: the keeper hands a rotated key's token out
/// only after the key is saved, so that no crash can lose it.
/// </remarks>
public interface ISessionStore
{
    /// <summary>The session saved under <paramref name="name"/>, or null.</summary>
    ValueTask<string?> LoadAsync(string name, CancellationToken cancellationToken);

    /// <summary>Replaces the session atomically (a reader sees the old content or the new, never a mix) and durably.</summary>
    ValueTask SaveAsync(string name, string content, CancellationToken cancellationToken);

    ValueTask DeleteAsync(string name, CancellationToken cancellationToken);

    /// <summary>
    /// Holds the session exclusively, against every process using this store, until the result is disposed; throws
    /// <see cref="TimeoutException"/> after <paramref name="timeout"/>.
    /// </summary>
    ValueTask<IAsyncDisposable> LockAsync(string name, TimeSpan timeout, CancellationToken cancellationToken);
}

internal static class SessionNames
{
    /// <summary>Session names become file names and storage keys: letters, digits, '-', '_' and '.', at most 64.</summary>
    public static string Checked(string name) =>
        name is { Length: > 0 and <= 64 } && name.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.') && name[0] != '.'
            ? name
            : throw new ArgumentException("A session name is 1-64 of A-Z, a-z, 0-9, '-', '_' and '.', not starting with '.'.", nameof(name));
}
