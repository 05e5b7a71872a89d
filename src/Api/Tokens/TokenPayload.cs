using System.Buffers;
using System.Text;
using System.Text.Json;

namespace Sessions.Api.Tokens;

/// <summary>
/// A JWT payload written straight to JSON, in the order the claims are added. Signing is synchronous, so one writer
/// and buffer per thread serve every token that thread signs.
/// </summary>
internal sealed class TokenPayload : IDisposable
{
    [ThreadStatic]
    private static (ArrayBufferWriter<byte> Buffer, Utf8JsonWriter Writer)? _perThread;

    private readonly ArrayBufferWriter<byte> _buffer;
    private readonly Utf8JsonWriter _writer;

    public TokenPayload()
    {
        var cached = _perThread;
        _perThread = null;
        if (cached is var (buffer, writer))
        {
            buffer.ResetWrittenCount();
            writer.Reset(buffer);
            (_buffer, _writer) = (buffer, writer);
        }
        else
        {
            _buffer = new ArrayBufferWriter<byte>(512);
            _writer = new Utf8JsonWriter(_buffer);
        }
        _writer.WriteStartObject();
    }

    public void Add(string name, string value) => _writer.WriteString(name, value);

    public void Add(string name, long value) => _writer.WriteNumber(name, value);

    public void Add(string name, bool value) => _writer.WriteBoolean(name, value);

    /// <summary><c>"cnf":{"jkt":"…"}</c> when the family is bound to a device key; nothing otherwise.</summary>
    public void AddConfirmation(string? keyThumbprint)
    {
        if (keyThumbprint is null)
        {
            return;
        }
        _writer.WriteStartObject(TokenClaims.Confirmation);
        _writer.WriteString(TokenClaims.KeyThumbprint, keyThumbprint);
        _writer.WriteEndObject();
    }

    public void AddSingleElementArray(string name, string value)
    {
        _writer.WriteStartArray(name);
        _writer.WriteStringValue(value);
        _writer.WriteEndArray();
    }

    public string ToJson()
    {
        _writer.WriteEndObject();
        _writer.Flush();
        return Encoding.UTF8.GetString(_buffer.WrittenSpan);
    }

    public void Dispose() => _perThread = (_buffer, _writer);
}
