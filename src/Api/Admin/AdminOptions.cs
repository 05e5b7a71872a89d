using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Options;
using Sessions.Grains.Configuration;

namespace Sessions.Api.Admin;

/// <summary>The <c>Sessions:Admin</c> section: the bearer keys of support tools. None: no admin route exists.</summary>
public sealed class AdminOptions
{
    public const string SectionName = "Sessions:Admin";

    public List<AdminApiKey> ApiKeys { get; set; } = [];
}

/// <summary>
/// One admin key: its id (named in the audit trail), the secret itself (32+ characters) or <c>sha256:&lt;hex&gt;</c> of it,
/// and what it may do: the brands it serves and whether it may change anything.
/// </summary>
public sealed class AdminApiKey
{
    private const string Sha256Prefix = "sha256:";

    public string Id { get; set; } = "";

    public string Key { get; set; } = "";

    /// <summary>The brands this key may see and act on; empty: every brand.</summary>
    public List<string> Brands { get; set; } = [];

    /// <summary>A key that may only look (find, list, history, limits): revoking and lifting a lock answer 403 with it.</summary>
    public bool ReadOnly { get; set; }

    /// <summary>SHA-256 of the secret, which is what a presented key is compared with.</summary>
    public byte[]? Digest() =>
        Key.StartsWith(Sha256Prefix, StringComparison.Ordinal)
            ? Key.Length == Sha256Prefix.Length + 64 && Key[Sha256Prefix.Length..].All(c => char.IsAsciiDigit(c) || c is >= 'a' and <= 'f')
                ? Convert.FromHexString(Key[Sha256Prefix.Length..])
                : null
            : Key.Length >= 32 ? SHA256.HashData(Encoding.UTF8.GetBytes(Key)) : null;
}

internal sealed class AdminOptionsValidator(IOptions<SessionsOptions> sessions) : IValidateOptions<AdminOptions>
{
    public ValidateOptionsResult Validate(string? name, AdminOptions options)
    {
        var errors = new List<string>();
        for (var i = 0; i < options.ApiKeys.Count; i++)
        {
            var key = options.ApiKeys[i];
            if (string.IsNullOrWhiteSpace(key.Id) || key.Id.Length > 64)
            {
                errors.Add($"{AdminOptions.SectionName}:ApiKeys:{i}:Id must be 1-64 characters.");
            }
            if (key.Digest() is null)
            {
                errors.Add($"{AdminOptions.SectionName}:ApiKeys:{i}:Key must be the key itself (32+ characters) or sha256:<64 lower-case hex digits> of it.");
            }
            for (var b = 0; b < key.Brands.Count; b++)
            {
                if (sessions.Value.FindBrand(key.Brands[b]) is null)
                {
                    errors.Add($"{AdminOptions.SectionName}:ApiKeys:{i}:Brands:{b} names '{key.Brands[b]}', which is not a configured brand (Sessions:Brands).");
                }
            }
        }
        if (options.ApiKeys.Select(k => k.Id).Distinct(StringComparer.Ordinal).Count() != options.ApiKeys.Count)
        {
            errors.Add($"{AdminOptions.SectionName}:ApiKeys must not repeat an Id.");
        }
        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }
}
