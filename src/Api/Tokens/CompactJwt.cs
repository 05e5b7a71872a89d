using System.Text.Json;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace Sessions.Api.Tokens;

/// <summary>
/// Reads a compact JWT (a key, a token, a device proof) with the library's reader, keeping every string claim the library
/// has no rule for as the string it is. Left to itself, the library tries each such string as a date (culture-aware,
/// through ICU), a few percent of a regenerate's CPU, for a conversion the service never asks for. Claims the library
/// knows (<c>alg</c>, <c>kid</c>, <c>iss</c>, <c>exp</c>, <c>jti</c>…) and values that are not strings it reads as before.
/// </summary>
internal static class CompactJwt
{
    /// <exception cref="ArgumentException">Not a JWS or JWE in compact form.</exception>
    public static JsonWebToken Read(string compact) => new(compact, StringsAsStrings);

    private static bool StringsAsStrings(ref Utf8JsonReader reader, JwtSegmentType segment, string name, out object value)
    {
        if (reader.TokenType == JsonTokenType.String)
        {
            value = reader.GetString()!;
            return true;
        }
        value = null!;
        return false;
    }
}
