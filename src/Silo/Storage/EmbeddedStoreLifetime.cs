using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using StackExchange.Redis;

namespace Sessions.Silo.Storage;

/// <summary>
/// Starts the embedded store before the silo and, because hosted services stop in reverse order, stops it after
/// the silo: a last checkpoint (SAVE) so the next start replays a short log, then the server.
/// </summary>
internal sealed partial class EmbeddedStoreLifetime(EmbeddedGarnet garnet, ILogger<EmbeddedStoreLifetime> logger) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        garnet.EnsureStarted();
        return Task.CompletedTask;
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        try
        {
            // Its own connection: the shared one may already be closed by the providers that stopped before us.
            await using var admin = await ConnectionMultiplexer.ConnectAsync(garnet.ConnectionString);
            // A foreground SAVE blocks the store, which is what we want here: nothing else runs any more.
#pragma warning disable CS0618
            await admin.GetServers()[0].SaveAsync(SaveType.ForegroundSave);
#pragma warning restore CS0618
        }
        catch (Exception e) when (e is RedisException or TimeoutException)
        {
            // The append-only log already holds every write; a missing checkpoint only makes the next start slower.
            LogCheckpointFailed(e);
        }
        finally
        {
            garnet.Dispose();
        }
    }

    [LoggerMessage(EventId = 101, Level = LogLevel.Warning, Message = "Embedded store checkpoint on shutdown failed")]
    private partial void LogCheckpointFailed(Exception exception);
}
