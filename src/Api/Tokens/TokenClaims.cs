namespace Sessions.Api.Tokens;

/// <summary>Names and values of the claims this service puts in tokens and keys (API.md §3).</summary>
public static class TokenClaims
{
    public const string Identifiers = "idv";
    public const string Device = "dev";
    public const string Organization = "org";

    public const string Issuer = "iss";
    public const string OrgCodes = "ogc";
    public const string ExpiresAt = "exp";
    public const string IssuedAt = "iat";
    public const string Role = "rol";
    public const string TokenId = "jti";
    public const string CustomerId = "uid";
    public const string IsServiceClient = "isc";
    public const string FamilyId = "sid";
    public const string Mfa = "mfa";

    /// <summary>Confirmation (RFC 7800) of a device-bound family's tokens and keys: <c>{"jkt": thumbprint}</c> (API.md §4.7).</summary>
    public const string Confirmation = "cnf";
    public const string KeyThumbprint = "jkt";

    /// <summary>On tokens of a web family (API.md §4.4): the token is its family's refresh credential.</summary>
    public const string Channel = "chn";
    public const string WebChannel = "WEB";

    public const string ViewRole = "VIEW";
    public const string KeyRole = "AUTH";
}
