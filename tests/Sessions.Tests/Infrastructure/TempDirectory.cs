using System.Diagnostics;
using System.Globalization;

namespace Sessions.Tests.Infrastructure;

/// <summary>
/// Directories for stores, clusters and client files, under one folder per test run
/// (<c>sessions-tests/run-{pid}-{guid}</c> in the temp path). Stores preallocate tens of megabytes each, so the fixture
/// that made a store's folder deletes it when disposed (<see cref="Delete"/>); the run folder goes when the run ends,
/// and one that a killed run (or a test host stopped before its exit handlers finished) left is swept by the next run,
/// which deletes every run folder whose process is gone.
/// </summary>
public static class TempDirectory
{
    private const string RunPrefix = "run-";
    private static readonly Lazy<string> RunFolder = new(CreateRunFolder);

    public static string Create(string purpose)
    {
        var path = Path.Combine(RunFolder.Value, $"{purpose}-{Guid.NewGuid():N}");
        Directory.CreateDirectory(path);
        return path;
    }

    private static string CreateRunFolder()
    {
        var parent = Path.Combine(Path.GetTempPath(), "sessions-tests");
        Directory.CreateDirectory(parent);
        foreach (var folder in Directory.EnumerateDirectories(parent))
        {
            if (!BelongsToALiveRun(Path.GetFileName(folder)))
            {
                Delete(folder);
            }
        }
        var run = Path.Combine(parent, $"{RunPrefix}{Environment.ProcessId.ToString(CultureInfo.InvariantCulture)}-{Guid.NewGuid():N}");
        Directory.CreateDirectory(run);
        AppDomain.CurrentDomain.ProcessExit += (_, _) => Delete(run);
        return run;
    }

    /// <summary>A run folder whose test process still runs (another <c>dotnet test</c> at the same time).</summary>
    private static bool BelongsToALiveRun(string name)
    {
        var parts = name.Split('-');
        if (!name.StartsWith(RunPrefix, StringComparison.Ordinal) || parts.Length != 3
            || !int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out var processId))
        {
            return false;
        }
        try
        {
            using var process = Process.GetProcessById(processId);
            return !process.HasExited;
        }
        catch (ArgumentException)
        {
            return false;
        }
    }

    /// <summary>
    /// Deletes a folder <see cref="Create"/> made, once its owner is done with it (a full run's stores would otherwise
    /// hold gigabytes until the run ends), or a run folder.
    /// </summary>
    public static void Delete(string folder)
    {
        try
        {
            Directory.Delete(folder, recursive: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // A store of a process that outlived its test still holds files here; the next run sweeps it.
        }
    }
}
