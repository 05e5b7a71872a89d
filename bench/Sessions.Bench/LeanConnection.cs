using System.Buffers.Text;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Sessions.Bench;

/// <summary>
/// One keep-alive HTTP/1.1 connection that sends pre-formatted requests and reads just enough of each answer: the
/// status, and the body by Content-Length or chunks. It exists because a general client (HttpClient, with its
/// handlers, headers collections and content streams) costs more per request than the server's cheapest endpoint,
/// which pulls every ratio toward 1 on a 2-core machine where the loader and the server share the cores.
/// </summary>
internal sealed class LeanConnection : IDisposable
{
    private readonly Socket _socket;
    private byte[] _buffer = new byte[16 * 1024];

    private LeanConnection(Socket socket) => _socket = socket;

    public static async Task<LeanConnection> OpenAsync(int port)
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        await socket.ConnectAsync(new IPEndPoint(IPAddress.Loopback, port));
        return new LeanConnection(socket);
    }

    /// <summary>A whole POST request, ready to send as it is.</summary>
    public static byte[] Post(string path, ReadOnlySpan<byte> body, string contentType = "application/json", string? authorization = null, string? deviceProof = null)
    {
        var head = new StringBuilder()
            .Append("POST ").Append(path).Append(" HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: ").Append(contentType)
            .Append("\r\nContent-Length: ").Append(body.Length).Append("\r\n");
        if (authorization is not null)
        {
            head.Append("Authorization: ").Append(authorization).Append("\r\n");
        }
        if (deviceProof is not null)
        {
            head.Append("DPoP: ").Append(deviceProof).Append("\r\n");
        }
        var headBytes = Encoding.ASCII.GetBytes(head.Append("\r\n").ToString());
        return [.. headBytes, .. body];
    }

    /// <summary>Sends one request and reads its answer; the body is valid until the next call.</summary>
    public async ValueTask<LeanResponse> SendAsync(ReadOnlyMemory<byte> request)
    {
        while (!request.IsEmpty)
        {
            request = request[await _socket.SendAsync(request, SocketFlags.None)..];
        }

        var filled = 0;
        int headerEnd;
        while ((headerEnd = _buffer.AsSpan(0, filled).IndexOf("\r\n\r\n"u8)) < 0)
        {
            filled += await ReceiveAsync(filled);
        }
        var (status, length) = ReadHead(_buffer.AsSpan(0, headerEnd));
        var bodyStart = headerEnd + 4;

        if (length >= 0)
        {
            while (filled < bodyStart + length)
            {
                filled += await ReceiveAsync(filled, bodyStart + length);
            }
            return new LeanResponse(status, _buffer.AsMemory(bodyStart, length));
        }

        // Chunked: the chunks are joined in place, over their size lines, as they arrive.
        var bodyEnd = bodyStart;
        var cursor = bodyStart;
        while (true)
        {
            int lineEnd;
            while ((lineEnd = _buffer.AsSpan(cursor, filled - cursor).IndexOf("\r\n"u8)) < 0)
            {
                filled += await ReceiveAsync(filled);
            }
            if (!Utf8Parser.TryParse(_buffer.AsSpan(cursor, lineEnd), out int chunk, out _, 'x'))
            {
                throw new InvalidDataException("bad chunk size");
            }
            var dataStart = cursor + lineEnd + 2;
            while (filled < dataStart + chunk + 2)
            {
                filled += await ReceiveAsync(filled);
            }
            if (chunk == 0)
            {
                return new LeanResponse(status, _buffer.AsMemory(bodyStart, bodyEnd - bodyStart));
            }
            _buffer.AsSpan(dataStart, chunk).CopyTo(_buffer.AsSpan(bodyEnd));
            bodyEnd += chunk;
            cursor = dataStart + chunk + 2;
        }
    }

    public void Dispose() => _socket.Dispose();

    private async ValueTask<int> ReceiveAsync(int filled, int needed = 0)
    {
        if (filled == _buffer.Length || needed > _buffer.Length)
        {
            Array.Resize(ref _buffer, Math.Max(_buffer.Length * 2, needed));
        }
        var read = await _socket.ReceiveAsync(_buffer.AsMemory(filled), SocketFlags.None);
        return read > 0 ? read : throw new IOException("the server closed the connection");
    }

    /// <summary>The status, and the Content-Length (-1 when the body is chunked).</summary>
    private static (int Status, int ContentLength) ReadHead(ReadOnlySpan<byte> head)
    {
        var status = (head[9] - '0') * 100 + (head[10] - '0') * 10 + (head[11] - '0');
        return Utf8Parser.TryParse(HeaderValue(head, "content-length: "u8), out int length, out _) ? (status, length) : (status, -1);
    }

    private static ReadOnlySpan<byte> HeaderValue(ReadOnlySpan<byte> head, ReadOnlySpan<byte> lowerCaseNameAndColon)
    {
        while (head.IndexOf("\r\n"u8) is var end and >= 0)
        {
            head = head[(end + 2)..];
            var line = head.IndexOf("\r\n"u8) is var next and >= 0 ? head[..next] : head;
            if (line.Length > lowerCaseNameAndColon.Length && Ascii.EqualsIgnoreCase(line[..lowerCaseNameAndColon.Length], lowerCaseNameAndColon))
            {
                return line[lowerCaseNameAndColon.Length..];
            }
        }
        return default;
    }
}

/// <summary>An answer's HTTP status and body, and the few envelope fields the chained scenarios read.</summary>
internal readonly record struct LeanResponse(int Status, ReadOnlyMemory<byte> Body)
{
    /// <summary>A string field's value where the answer holds <c>"name":"value"</c> (tokens, keys and ids need no escapes).</summary>
    public string? Field(ReadOnlySpan<byte> quotedNameColonQuote)
    {
        var body = Body.Span;
        var at = body.IndexOf(quotedNameColonQuote);
        if (at < 0)
        {
            return null;
        }
        var value = body[(at + quotedNameColonQuote.Length)..];
        return Encoding.UTF8.GetString(value[..value.IndexOf((byte)'"')]);
    }
}
