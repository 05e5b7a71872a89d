using System.Diagnostics.CodeAnalysis;
using System.Text.Json;
using Sessions.Api.Envelope;
using Sessions.Grains.Identity;

namespace Sessions.Api.Requests;

/// <summary>Typed reads of request fields; every failure is a 1519 that names the field.</summary>
public static class FieldReader
{
    public const int MaxSecretLength = 1024;
    public const int MaxTokenLength = 8 * 1024;

    public static bool TryRequired(this AuthRequest request, string name, int maxLength,
        [NotNullWhen(true)] out string? value, [NotNullWhen(false)] out EnvelopeResult? error)
    {
        if (!request.TryOptional(name, maxLength, out value, out error))
        {
            return false;
        }
        if (string.IsNullOrEmpty(value))
        {
            error = EnvelopeResult.InvalidField(name, "is required");
            return false;
        }
        return true;
    }

    public static bool TryOptional(this AuthRequest request, string name, int maxLength,
        out string? value, [NotNullWhen(false)] out EnvelopeResult? error)
    {
        value = null;
        error = null;
        if (request.Field(name) is not { } element)
        {
            return true;
        }
        if (element.ValueKind != JsonValueKind.String)
        {
            error = EnvelopeResult.InvalidField(name, "must be a string");
            return false;
        }

        value = element.GetString()!;
        if (value.Length > maxLength)
        {
            error = EnvelopeResult.InvalidField(name, $"must be at most {maxLength} characters");
            return false;
        }
        if (!IdentifierRules.IsPrintable(value))
        {
            error = EnvelopeResult.InvalidField(name, "must not contain control characters");
            return false;
        }
        return true;
    }

    /// <summary>A field that may be a JSON string or a JSON integer (<c>deviceId</c>, <c>otp</c>): its text.</summary>
    public static bool TryRequiredText(this AuthRequest request, string name, int maxLength,
        [NotNullWhen(true)] out string? value, [NotNullWhen(false)] out EnvelopeResult? error)
    {
        if (request.Field(name) is { ValueKind: JsonValueKind.Number } number)
        {
            var raw = number.GetRawText();
            if (!raw.All(char.IsAsciiDigit) || raw.Length > maxLength)
            {
                value = null;
                error = EnvelopeResult.InvalidField(name, $"must be a string or a whole number of at most {maxLength} digits");
                return false;
            }
            value = raw;
            error = null;
            return true;
        }
        return request.TryRequired(name, maxLength, out value, out error);
    }

    /// <summary>The OTP: <paramref name="length"/> digits; a JSON number is left-padded with zeros (API.md §2).</summary>
    public static bool TryOtp(this AuthRequest request, int length,
        [NotNullWhen(true)] out string? otp, [NotNullWhen(false)] out EnvelopeResult? error)
    {
        var isNumber = request.Field("otp") is { ValueKind: JsonValueKind.Number };
        if (!request.TryRequiredText("otp", length, out otp, out error))
        {
            return false;
        }
        if (isNumber)
        {
            otp = otp.PadLeft(length, '0');
        }
        if (otp.Length != length || !otp.All(char.IsAsciiDigit))
        {
            error = EnvelopeResult.InvalidField("otp", $"must be {length} digits");
            otp = null;
            return false;
        }
        return true;
    }
}
