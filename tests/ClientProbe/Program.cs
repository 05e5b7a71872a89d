using System.Text.Json.Nodes;
using Sessions.Client;
using Sessions.Client.Storage;

// Usage: Sessions.ClientProbe URL BRAND STORE_DIRECTORY (crash-before-successor-save | rotate N)
// Prints one line per event the tests wait for; exits 0 when done, 3 when the session ended.
var (url, brand, directory, mode) = (args[0], args[1], args[2], args[3]);
using var http = new HttpClient();
var options = new SessionsClientOptions { BaseAddress = new Uri(url), Brand = brand };
var store = mode == "crash-before-successor-save" ? new HangBeforeSuccessorStore(new FileSessionStore(directory)) : (ISessionStore)new FileSessionStore(directory);
await using var sessions = new SessionsClient(http, options, store);
var session = sessions.GetSession();
try
{
    if (mode == "crash-before-successor-save")
    {
        await session.RefreshAsync(await session.GetTokenAsync());
        Console.WriteLine("NOT-KILLED");
        return 1;
    }
    var rotations = 0;
    for (var i = 0; i < int.Parse(args[4], System.Globalization.CultureInfo.InvariantCulture); i++)
    {
        var held = await session.GetTokenAsync();
        if (await session.RefreshAsync(held) != held)
        {
            rotations++;
        }
    }
    Console.WriteLine($"DONE {rotations}");
    return 0;
}
catch (SessionEndedException e)
{
    Console.WriteLine($"ENDED {e.Reason}");
    return 3;
}

/// <summary>
/// Lets the pending rotation be written, then — once the service answered — stops dead before the successor is saved,
/// so that the test can SIGKILL the process at exactly that instant.
/// </summary>
internal sealed class HangBeforeSuccessorStore(ISessionStore inner) : ISessionStore
{
    public ValueTask<string?> LoadAsync(string name, CancellationToken cancellationToken) => inner.LoadAsync(name, cancellationToken);

    public async ValueTask SaveAsync(string name, string content, CancellationToken cancellationToken)
    {
        var before = JsonNode.Parse(await inner.LoadAsync(name, cancellationToken) ?? "{}");
        if (before?["pending"] is not null && JsonNode.Parse(content)?["pending"] is null)
        {
            Console.WriteLine("ANSWERED");
            Thread.Sleep(Timeout.Infinite);
        }
        await inner.SaveAsync(name, content, cancellationToken);
    }

    public ValueTask DeleteAsync(string name, CancellationToken cancellationToken) => inner.DeleteAsync(name, cancellationToken);

    public ValueTask<IAsyncDisposable> LockAsync(string name, TimeSpan timeout, CancellationToken cancellationToken) => inner.LockAsync(name, timeout, cancellationToken);
}
