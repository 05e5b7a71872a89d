using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Sessions.Silo.Storage;

/// <summary>
/// Starts the embedded store before the silo and, because hosted services stop in reverse order, stops it after
/// the silo: a last checkpoint so the next start replays a short log, then the server.
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
            await garnet.CheckpointAsync(cancellationToken);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
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
