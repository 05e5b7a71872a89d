namespace Sessions.Bench;

/// <summary>
/// The bench's folder: its servers' logs stay for reading after the run, their stores (gigabytes after a scale run)
/// and the load generator's request files are deleted when the bench ends, however it ends.
/// </summary>
internal sealed class WorkFolder(string path) : IDisposable
{
    public void Dispose()
    {
        foreach (var store in Directory.EnumerateDirectories(path))
        {
            TryDelete(() => Directory.Delete(store, recursive: true));
        }
        foreach (var file in Directory.EnumerateFiles(path).Where(f => !f.EndsWith(".log", StringComparison.Ordinal)))
        {
            TryDelete(() => File.Delete(file));
        }
    }

    private void TryDelete(Action delete)
    {
        try
        {
            delete();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            Console.Error.WriteLine($"could not delete part of {path}: {e.Message}");
        }
    }
}
