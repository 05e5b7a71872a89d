using System.Text.Json;
using System.Text.Unicode;

namespace Sessions.Api.Requests;

/// <summary>
/// Checks that every name and string of a JSON body is text (API.md §1): valid UTF-8, and no <c>\ud800</c>-style escape
/// of a lone surrogate, which parses but cannot be read as a string. Such a body is a 1519, never a 500.
/// </summary>
public static class JsonText
{
    public static bool IsValidUtf8(ReadOnlySpan<byte> body) => Utf8.IsValid(body);

    /// <summary>
    /// Whether every property name and string value can be read. Only a body with a <c>\u</c> escape can hold a lone
    /// surrogate once its bytes are valid UTF-8, so the walk is skipped for every other body (the hot path's).
    /// </summary>
    public static bool HasOnlyValidStrings(ReadOnlySpan<byte> body, JsonElement root) =>
        body.IndexOf("\\u"u8) < 0 || IsReadable(root);

    private static bool IsReadable(JsonElement element)
    {
        try
        {
            switch (element.ValueKind)
            {
                case JsonValueKind.String:
                    _ = element.GetString();
                    return true;
                case JsonValueKind.Object:
                    foreach (var property in element.EnumerateObject())
                    {
                        _ = property.Name;
                        if (!IsReadable(property.Value))
                        {
                            return false;
                        }
                    }
                    return true;
                case JsonValueKind.Array:
                    foreach (var item in element.EnumerateArray())
                    {
                        if (!IsReadable(item))
                        {
                            return false;
                        }
                    }
                    return true;
                default:
                    return true;
            }
        }
        catch (InvalidOperationException)
        {
            return false;
        }
    }
}
