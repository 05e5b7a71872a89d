using System.Globalization;
using System.Text;

namespace Sessions.Grains.Identity;

/// <summary>
/// The normalisation rules of API.md §2. Two inputs that normalise alike address the same identifier; text that could
/// look like something it is not (format, bidirectional, separator or private-use characters) is refused.
/// </summary>
public static class IdentifierRules
{
    public const int MaxDeviceIdLength = 128;

    private const string MobileRule = "must be 6-15 digits, optionally with one leading +";

    public static bool TryParseType(string text, out IdentifierType type)
    {
        // Case-sensitive on purpose (the contract); Enum.TryParse would also accept numbers and other casings.
        switch (text)
        {
            case "MOBILE": type = IdentifierType.MOBILE; return true;
            case "EMAIL": type = IdentifierType.EMAIL; return true;
            case "USERNAME": type = IdentifierType.USERNAME; return true;
            case "EXTERNALID": type = IdentifierType.EXTERNALID; return true;
            default: type = default; return false;
        }
    }

    /// <summary>Normalises <paramref name="value"/>; on failure returns null and says why in <paramref name="reason"/>.</summary>
    public static string? NormalizeValue(IdentifierType type, string value, out string reason)
    {
        reason = "";
        // NFC first, for every type: "é" typed as one code point or as "e" + a combining accent is one identifier.
        if (!TryNormalizeNfc(value, out var text))
        {
            reason = "must be valid Unicode text";
            return null;
        }
        switch (type)
        {
            case IdentifierType.MOBILE:
                return NormalizeMobile(text, out reason);
            case IdentifierType.EMAIL:
                return NormalizeEmail(text, out reason);
            case IdentifierType.USERNAME:
                var name = text.Trim();
                if (name.Length is < 1 or > 64 || !name.All(IsUsernameChar))
                {
                    reason = "must be 1-64 characters of letters, digits and . _ @ + -";
                    return null;
                }
                return name;
            default:
                var external = text.Trim();
                if (external.Length is < 1 or > 128 || !IsVisibleText(external))
                {
                    reason = "must be 1-128 printable characters";
                    return null;
                }
                return external;
        }
    }

    /// <summary>1-128 printable characters: no control, format (zero-width, bidirectional, BOM) or line separator characters.</summary>
    public static bool IsValidDeviceId(string deviceId) =>
        deviceId.Length is >= 1 and <= MaxDeviceIdLength && IsVisibleText(deviceId);

    /// <summary>True when <paramref name="text"/> has no control characters (C0, DEL, C1).</summary>
    public static bool IsPrintable(string text) =>
        text.AsSpan().IndexOfAnyInRange('\u0000', '\u001f') < 0 && text.AsSpan().IndexOfAnyInRange('\u007f', '\u009f') < 0;

    /// <summary>
    /// True when every character is one that shows as itself: no control (Cc), format (Cf: zero-width, bidirectional
    /// overrides, BOM), line or paragraph separator (Zl, Zp), surrogate left alone (Cs) or unassigned code point (Cn).
    /// </summary>
    public static bool IsVisibleText(string text)
    {
        // Printable ASCII, which nearly every device id and external id is, needs no look at categories.
        if (text.AsSpan().IndexOfAnyExceptInRange(' ', '~') < 0)
        {
            return true;
        }
        foreach (var rune in EnumerateRunes(text))
        {
            if (rune is not { } valid || Rune.GetUnicodeCategory(valid) is UnicodeCategory.Control or UnicodeCategory.Format
                or UnicodeCategory.LineSeparator or UnicodeCategory.ParagraphSeparator or UnicodeCategory.OtherNotAssigned)
            {
                return false;
            }
        }
        return true;
    }

    private static bool TryNormalizeNfc(string value, out string normalized)
    {
        try
        {
            normalized = System.Text.Ascii.IsValid(value) || value.IsNormalized(NormalizationForm.FormC) ? value : value.Normalize(NormalizationForm.FormC);
            return true;
        }
        catch (ArgumentException)
        {
            // A lone surrogate: not text.
            normalized = "";
            return false;
        }
    }

    private static string? NormalizeMobile(string value, out string reason)
    {
        Span<char> digits = stackalloc char[32];
        var count = 0;
        var start = 0;
        var trimmed = value.AsSpan().Trim();
        if (trimmed.Length > 0 && trimmed[0] == '+')
        {
            start = 1;
        }

        for (var i = start; i < trimmed.Length; i++)
        {
            var c = trimmed[i];
            if (c is ' ' or '-' or '(' or ')')
            {
                continue;
            }
            if (!char.IsAsciiDigit(c) || count == digits.Length)
            {
                reason = MobileRule;
                return null;
            }
            digits[count++] = c;
        }

        if (count is < 6 or > 15)
        {
            reason = MobileRule;
            return null;
        }

        reason = "";
        return new string(digits[..count]);
    }

    private static string? NormalizeEmail(string value, out string reason)
    {
        var email = value.Trim().ToLowerInvariant();
        var at = email.IndexOf('@', StringComparison.Ordinal);
        if (email.Length > 254 || at <= 0 || at != email.LastIndexOf('@') || at == email.Length - 1 || !IsEmailText(email))
        {
            reason = "must be an e-mail address of at most 254 characters";
            return null;
        }

        reason = "";
        return email;
    }

    /// <summary>
    /// No control, format, separator (a space included: an address has none) or private-use characters, and no
    /// surrogate left alone or unassigned code point: the address reads as what it is.
    /// </summary>
    private static bool IsEmailText(string email)
    {
        if (email.AsSpan().IndexOfAnyExceptInRange('!', '~') < 0)
        {
            return true;
        }
        foreach (var rune in EnumerateRunes(email))
        {
            if (rune is not { } valid || Rune.GetUnicodeCategory(valid) is UnicodeCategory.Control or UnicodeCategory.Format
                or UnicodeCategory.SpaceSeparator or UnicodeCategory.LineSeparator or UnicodeCategory.ParagraphSeparator
                or UnicodeCategory.PrivateUse or UnicodeCategory.OtherNotAssigned)
            {
                return false;
            }
        }
        return true;
    }

    /// <summary>The text's code points; null for a surrogate that is not half of a pair.</summary>
    private static IEnumerable<Rune?> EnumerateRunes(string text)
    {
        for (var i = 0; i < text.Length;)
        {
            if (Rune.DecodeFromUtf16(text.AsSpan(i), out var rune, out var consumed) != System.Buffers.OperationStatus.Done)
            {
                yield return null;
                yield break;
            }
            yield return rune;
            i += consumed;
        }
    }

    private static bool IsUsernameChar(char c) => char.IsAsciiLetterOrDigit(c) || c is '.' or '_' or '@' or '+' or '-';
}
