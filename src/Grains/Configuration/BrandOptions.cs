namespace Sessions.Grains.Configuration;

/// <summary>One brand's settings. Defaults are the contract's (API.md §8).</summary>
public sealed class BrandOptions
{
    public string OrgId { get; set; } = "";
    public string OrgUser { get; set; } = "";
    public List<SigningKeyOptions> SigningKeys { get; set; } = [];

    public bool MfaEnabled { get; set; } = true;
    public bool ForcedMfa { get; set; }
    public bool PasswordEnabled { get; set; } = true;
    public bool MfaPasswordEnabled { get; set; } = true;
    public string? MfaPasswordRegex { get; set; }
    public bool ExternalIdLoginEnabled { get; set; }
    public bool SkipOtpOnReset { get; set; }
    public bool RequirePasswordOnSignUp { get; set; }

    public int SessionMinutes { get; set; } = 15;
    public int MfaSessionMinutes { get; set; } = 15;
    public int UserTokenMinutes { get; set; } = 15;
    public int MfaTokenMinutes { get; set; } = 15;

    public bool IssuePrimaryKey { get; set; } = true;
    public bool IssueMfaKey { get; set; } = true;
    public bool RotateKeyOnRegenerate { get; set; } = true;
    public int KeyReuseGraceSeconds { get; set; } = 30;
    public int? KeyExpiryMinutes { get; set; }
    public int? MfaKeyExpiryMinutes { get; set; }
    public int KeyIdleDays { get; set; } = 90;

    /// <summary>
    /// Device sessions one customer may hold at once; a login beyond it revokes the least recently logged-in one.
    /// Bounds the customer's stored state and what a password change fans out to.
    /// </summary>
    public int MaxDeviceSessions { get; set; } = 50;

    /// <summary>
    /// Device sessions of one identifier that may hold an open, unvalidated login or MFA session at once (API.md §7):
    /// anonymous calls on ever new deviceIds cannot grow the store without bound; beyond it 1534 with Retry-After.
    /// </summary>
    public int MaxOpenLogins { get; set; } = 20;

    /// <summary>
    /// How recent the caller's login must be for it to sign the customer's other sessions out (README, "Signed-in
    /// devices"), or to start an identifier change where <see cref="IdentifierChangeOptions.RequireRecentLogin"/> is on:
    /// a key copied off the device, which keeps regenerating, cannot shut its owner out or move the account.
    /// </summary>
    public int RecentLoginMinutes { get; set; } = 5;

    /// <summary>Whether a family created by a login at <paramref name="loggedInAt"/> is recent enough at <paramref name="now"/>.</summary>
    public bool IsRecentLogin(DateTimeOffset loggedInAt, DateTimeOffset now) => now - loggedInAt <= TimeSpan.FromMinutes(RecentLoginMinutes);

    public IdentifierChangeOptions IdentifierChange { get; set; } = new();

    /// <summary>Whether key families are bound to a device key by RFC 9449 proofs (API.md §4.7).</summary>
    public DeviceBinding DeviceBinding { get; set; } = DeviceBinding.Off;

    /// <summary>How far a proof's <c>iat</c> may be from the server's clock without a server nonce.</summary>
    public int DeviceProofWindowSeconds { get; set; } = 60;

    /// <summary>How long a server nonce (<c>DPoP-Nonce</c>) makes a proof fresh, whatever its <c>iat</c>.</summary>
    public int DeviceNonceSeconds { get; set; } = 300;

    /// <summary>
    /// A bound family's USER token authorises an account call (a password or identifier change, the MFA logout, the
    /// signed-in devices) only with a device proof for that call and that token (RFC 9449 §7, <c>ath</c>), so that a
    /// token taken off the device is as useless to a thief as its key. Off by default, as the contract asks for proofs only where families
    /// are made and exchanged. Ignored while <see cref="DeviceBinding"/> is <c>Off</c>, whose tokens carry no binding, so
    /// that going back to <c>Off</c> is one setting.
    /// </summary>
    public bool RequireProofForBoundTokens { get; set; }

    public OtpPolicyOptions Otp { get; set; } = new();
    public PasswordPolicyOptions Password { get; set; } = new();
    public LockoutOptions Lockout { get; set; } = new();
    public WebLoginOptions Web { get; set; } = new();

    /// <summary>The password of the brand's introspection client (HTTP Basic, user = brand name); none: introspection refused.</summary>
    public string? IntrospectionSecret { get; set; }
    public List<TestIdentifierOptions> TestIdentifiers { get; set; } = [];
}

/// <summary>The browser flow (API.md §4.4): no key; the last USER token is the refresh credential.</summary>
public sealed class WebLoginOptions
{
    public bool Enabled { get; set; } = true;

    /// <summary>Lifetime of a web USER token.</summary>
    public int TokenMinutes { get; set; } = 15;

    /// <summary>A web family dies this long after its newest token expired.</summary>
    public int IdleMinutes { get; set; } = 60;

    /// <summary>A web family dies this long after its login, however often it regenerates.</summary>
    public int MaxHours { get; set; } = 24;

    /// <summary>Web families one device session keeps; a login beyond it evicts the least recently used.</summary>
    public int MaxFamilies { get; set; } = 10;

    /// <summary>
    /// The origins of the brand's own websites (<c>https://shop.example.com</c>) whose pages may call the API from a
    /// browser (CORS). None: only pages the API's own origin serves can.
    /// </summary>
    public List<string> AllowedOrigins { get; set; } = [];
}

/// <summary>Device-bound keys (API.md §4.7).</summary>
public enum DeviceBinding
{
    /// <summary>Keys are bearer credentials; the <c>DPoP</c> header is ignored (the reference behaviour).</summary>
    Off,

    /// <summary>A family is bound when a proof arrives; families without one stay bearer.</summary>
    Optional,

    /// <summary>Every new family must be bound, and an unbound family cannot regenerate.</summary>
    Required,
}

/// <summary><c>user/updateIdentifierValue</c> (API.md §4.4).</summary>
public sealed class IdentifierChangeOptions
{
    /// <summary>
    /// The new value must be proven with an OTP sent to it before the customer moves there. Off only for brands whose
    /// own CRM verified the value and that call server to server.
    /// </summary>
    public bool VerifyNewValue { get; set; } = true;

    /// <summary>
    /// A change starts only from a family whose login was within the brand's <c>RecentLoginMinutes</c> (a regenerate is
    /// not a login), so that a token taken off the device cannot move the customer to the thief's own address. Off by
    /// default, as the contract accepts any live USER token; a refusal is 1564.
    /// </summary>
    public bool RequireRecentLogin { get; set; }
}

public sealed class SigningKeyOptions
{
    public string Id { get; set; } = "";

    public SigningAlgorithm Algorithm { get; set; } = SigningAlgorithm.HS256;

    /// <summary>HS256: base64 HMAC secret, at least 32 bytes.</summary>
    public string Secret { get; set; } = "";

    /// <summary>ES256: a PKCS#8 P-256 private key in PEM; its public half is published in the brand's JWKS.</summary>
    public string? PrivateKeyPem { get; set; }

    /// <summary>
    /// When this key starts to sign: the contract's rotation (API.md §4.5) with the new key staged. Until then it only
    /// verifies and is published, so that every API process and every resource server knows it before the first token
    /// it signs: the brand's signing key is the first listed whose <c>SignFrom</c> is unset or past.
    /// </summary>
    public DateTimeOffset? SignFrom { get; set; }
}

/// <summary>How a signing key signs (API.md §4.5): a shared secret, or a key pair whose public half resource servers get.</summary>
public enum SigningAlgorithm
{
    HS256,
    ES256,
}

public sealed class OtpPolicyOptions
{
    public int Length { get; set; } = 6;
    public int TtlMinutes { get; set; } = 10;
    public int MaxAttempts { get; set; } = 5;
    public int MaxSends { get; set; } = 5;
    public int SendWindowMinutes { get; set; } = 15;
}

public sealed class PasswordPolicyOptions
{
    public int MaxAttempts { get; set; } = 5;
    public int MinLength { get; set; } = 8;
}

public sealed class LockoutOptions
{
    public int MaxFailures { get; set; } = 10;
    public int WindowMinutes { get; set; } = 30;
    public int LockMinutes { get; set; } = 15;
}

public sealed class TestIdentifierOptions
{
    public string IdentifierType { get; set; } = "";
    public string IdentifierValue { get; set; } = "";
    public string Otp { get; set; } = "";
}
