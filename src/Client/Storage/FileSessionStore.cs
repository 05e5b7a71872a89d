using System.Runtime.InteropServices;
using System.Text;

namespace Sessions.Client.Storage;

/// <summary>
/// The default store: one file per session in a directory only the user can read. A save writes a new file, flushes it
/// to the disk, renames it over the old one and flushes the directory, so a crash or power loss leaves the old session
/// or the new, never a torn one. The lock is an exclusive lock on a companion file, which every process holds in turn.
/// </summary>
public sealed partial class FileSessionStore : ISessionStore
{
    private static readonly TimeSpan LockPollInterval = TimeSpan.FromMilliseconds(20);

    private readonly string _directory;

    public FileSessionStore(string directory)
    {
        _directory = Path.GetFullPath(directory);
        if (OperatingSystem.IsWindows())
        {
            Directory.CreateDirectory(_directory);
        }
        else
        {
            Directory.CreateDirectory(_directory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }
    }

    /// <summary>The default directory: <c>Sessions.Client</c> in the user's local application data.</summary>
    public static string DefaultDirectory =>
        Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.LocalApplicationData, Environment.SpecialFolderOption.Create), "Sessions.Client");

    public async ValueTask<string?> LoadAsync(string name, CancellationToken cancellationToken)
    {
        try
        {
            return await File.ReadAllTextAsync(SessionFile(name), Encoding.UTF8, cancellationToken).ConfigureAwait(false);
        }
        catch (FileNotFoundException)
        {
            return null;
        }
    }

    public async ValueTask SaveAsync(string name, string content, CancellationToken cancellationToken)
    {
        var target = SessionFile(name);
        var temporary = $"{target}.{Guid.NewGuid():N}.tmp";
        try
        {
            var create = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write, Options = FileOptions.Asynchronous };
            if (!OperatingSystem.IsWindows())
            {
                create.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
            }
            await using (var file = new FileStream(temporary, create))
            {
                await file.WriteAsync(Encoding.UTF8.GetBytes(content), cancellationToken).ConfigureAwait(false);
                file.Flush(flushToDisk: true);
            }
            File.Move(temporary, target, overwrite: true);
            FlushDirectory();
        }
        finally
        {
            File.Delete(temporary);
        }
    }

    public ValueTask DeleteAsync(string name, CancellationToken cancellationToken)
    {
        File.Delete(SessionFile(name));
        FlushDirectory();
        return ValueTask.CompletedTask;
    }

    public async ValueTask<IAsyncDisposable> LockAsync(string name, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var path = Path.Combine(_directory, SessionNames.Checked(name) + ".lock");
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            try
            {
                // FileShare.None is an exclusive lock every .NET process honours (flock on Unix, a share mode on Windows).
                return new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None, bufferSize: 1, FileOptions.None);
            }
            catch (IOException) when (DateTime.UtcNow < deadline)
            {
                await Task.Delay(LockPollInterval, cancellationToken).ConfigureAwait(false);
            }
            catch (IOException e)
            {
                throw new TimeoutException($"The session '{name}' stayed locked by another process for {timeout.TotalSeconds:0} s.", e);
            }
        }
    }

    private string SessionFile(string name) => Path.Combine(_directory, SessionNames.Checked(name) + ".session.json");

    /// <summary>A rename is durable only once its directory is: fsync the directory (Unix; Windows has no equivalent).</summary>
    private void FlushDirectory()
    {
        if (OperatingSystem.IsWindows())
        {
            return;
        }
        var descriptor = Open(_directory, 0);
        if (descriptor < 0)
        {
            throw new IOException($"Could not open {_directory} to flush it (errno {Marshal.GetLastPInvokeError()}).");
        }
        try
        {
            if (Fsync(descriptor) != 0)
            {
                throw new IOException($"Could not flush {_directory} (errno {Marshal.GetLastPInvokeError()}).");
            }
        }
        finally
        {
            _ = Close(descriptor);
        }
    }

    [LibraryImport("libc", EntryPoint = "open", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    private static partial int Open(string path, int flags);

    [LibraryImport("libc", EntryPoint = "fsync", SetLastError = true)]
    private static partial int Fsync(int descriptor);

    [LibraryImport("libc", EntryPoint = "close")]
    private static partial int Close(int descriptor);
}
