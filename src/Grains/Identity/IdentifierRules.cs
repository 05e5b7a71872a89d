namespace Sessions.Grains.Identity;

/// <summary>The normalisation rules of API.md §2. Two inputs that normalise alike address the same identifier.</summary>
public static class IdentifierRules
{
    public const int MaxDeviceIdLength = 128;

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
        switch (type)
        {
            case IdentifierType.MOBILE:
                return NormalizeMobile(value, out reason);
            case IdentifierType.EMAIL:
                return NormalizeEmail(value, out reason);
            case IdentifierType.USERNAME:
                var name = value.Trim();
                if (name.Length is < 1 or > 64 || !name.All(IsUsernameChar))
                {
                    reason = "must be 1-64 characters of letters, digits and . _ @ + -";
                    return null;
                }
                return name;
            default:
                var external = value.Trim();
                if (external.Length is < 1 or > 128 || !IsPrintable(external))
                {
                    reason = "must be 1-128 printable characters";
                    return null;
                }
                return external;
        }
    }

    public static bool IsValidDeviceId(string deviceId) =>
        deviceId.Length is >= 1 and <= MaxDeviceIdLength && IsPrintable(deviceId);

    /// <summary>True when <paramref name="text"/> has no control characters (C0, DEL, C1).</summary>
    public static bool IsPrintable(string text) =>
        text.AsSpan().IndexOfAnyInRange('\u0000', '\u001f') < 0 && text.AsSpan().IndexOfAnyInRange('\u007f', '\u009f') < 0;

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
                reason = "must be 6-15 digits, optionally with one leading +";
                return null;
            }
            digits[count++] = c;
        }

        if (count is < 6 or > 15)
        {
            reason = "must be 6-15 digits, optionally with one leading +";
            return null;
        }

        reason = "";
        return new string(digits[..count]);
    }

    private static string? NormalizeEmail(string value, out string reason)
    {
        var email = value.Trim().ToLowerInvariant();
        var at = email.IndexOf('@');
        if (email.Length > 254 || at <= 0 || at != email.LastIndexOf('@') || at == email.Length - 1
            || !IsPrintable(email) || email.AsSpan().ContainsAny(WhiteSpace))
        {
            reason = "must be an e-mail address of at most 254 characters";
            return null;
        }

        reason = "";
        return email;
    }

    private static readonly System.Buffers.SearchValues<char> WhiteSpace = System.Buffers.SearchValues.Create(" \t\u00a0\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000");

    private static bool IsUsernameChar(char c) => char.IsAsciiLetterOrDigit(c) || c is '.' or '_' or '@' or '+' or '-';
}
