using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Sessions.Tests.Infrastructure;

/// <summary>
/// One connection to a server a test started, with HTTP/1.1 written by hand: the bytes an attacker or a broken proxy
/// sends, which no HTTP client does. What comes back is read as HTTP/1.1 responses framed by their Content-Length.
/// </summary>
public sealed class RawHttpConnection : IDisposable
{
    private readonly TcpClient _tcp;
    private readonly NetworkStream _stream;
    private readonly byte[] _buffer = new byte[64 * 1024];
    private string _unread = "";

    private RawHttpConnection(TcpClient tcp) => (_tcp, _stream) = (tcp, tcp.GetStream());

    public static async Task<RawHttpConnection> OpenAsync(int port)
    {
        var tcp = new TcpClient();
        await tcp.ConnectAsync(IPAddress.Loopback, port);
        return new RawHttpConnection(tcp);
    }

    public async Task SendAsync(string text) => await _stream.WriteAsync(Encoding.ASCII.GetBytes(text));

    /// <summary>The next whole response, or null when the server closes the connection without one.</summary>
    public async Task<RawResponse?> ReadResponseAsync(TimeSpan timeout)
    {
        using var deadline = new CancellationTokenSource(timeout);
        RawResponse? response;
        while (!RawResponse.TryTake(ref _unread, out response))
        {
            if (!await ReadMoreAsync(deadline.Token))
            {
                return null;
            }
        }
        return response;
    }

    /// <summary>Every response until the server closes the connection or sends nothing for <paramref name="quiet"/>, and whether it closed it.</summary>
    public async Task<(IReadOnlyList<RawResponse> Responses, bool ClosedByServer)> ReadUntilQuietAsync(TimeSpan quiet)
    {
        var closed = false;
        while (true)
        {
            using var silence = new CancellationTokenSource(quiet);
            try
            {
                if (!await ReadMoreAsync(silence.Token))
                {
                    closed = true;
                    break;
                }
            }
            catch (OperationCanceledException)
            {
                break;
            }
        }
        var responses = new List<RawResponse>();
        while (RawResponse.TryTake(ref _unread, out var response))
        {
            responses.Add(response);
        }
        Assert.True(_unread.Length == 0, $"an incomplete response: {_unread}");
        return (responses, closed);
    }

    public void Dispose() => _tcp.Dispose();

    /// <summary>Appends what the server sent next; false once it has closed the connection.</summary>
    private async Task<bool> ReadMoreAsync(CancellationToken cancellationToken)
    {
        var read = await _stream.ReadAsync(_buffer, cancellationToken);
        _unread += Encoding.UTF8.GetString(_buffer, 0, read);
        return read > 0;
    }
}

/// <summary>An HTTP/1.1 response as a raw connection read it; header names in lower case.</summary>
public sealed record RawResponse(int Status, IReadOnlyDictionary<string, string> Headers, string Body)
{
    /// <summary>Takes the first whole response off the front of <paramref name="text"/>, if it holds one.</summary>
    public static bool TryTake(ref string text, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out RawResponse? response)
    {
        response = null;
        var end = text.IndexOf("\r\n\r\n", StringComparison.Ordinal);
        if (end < 0)
        {
            return false;
        }
        var lines = text[..end].Split("\r\n");
        var headers = lines.Skip(1).Select(l => l.Split(':', 2)).ToDictionary(h => h[0].Trim().ToLowerInvariant(), h => h[1].Trim());
        var length = headers.TryGetValue("content-length", out var value) ? int.Parse(value, CultureInfo.InvariantCulture) : 0;
        if (text.Length < end + 4 + length)
        {
            return false;
        }
        response = new RawResponse(int.Parse(lines[0].Split(' ')[1], CultureInfo.InvariantCulture), headers, text.Substring(end + 4, length));
        text = text[(end + 4 + length)..];
        return true;
    }
}
