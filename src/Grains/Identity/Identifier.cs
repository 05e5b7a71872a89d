namespace Sessions.Grains.Identity;

/// <summary>A normalised customer identifier within a brand (API.md §2). Brand is upper case.</summary>
[GenerateSerializer, Immutable, Alias("sessions.identifier-value")]
public sealed record Identifier(
    [property: Id(0)] string Brand,
    [property: Id(1)] IdentifierType Type,
    [property: Id(2)] string Value)
{
    /// <summary>The form tokens carry in their <c>idv</c> header: <c>MOBILE|18767431754</c>.</summary>
    public string ToIdv() => $"{Type}|{Value}";

    /// <summary>The identifier an <c>idv</c> entry of <paramref name="brand"/>'s token names; null when it names none.</summary>
    public static Identifier? FromIdv(string brand, string idv)
    {
        var separator = idv.IndexOf('|', StringComparison.Ordinal);
        return separator > 0 && IdentifierRules.TryParseType(idv[..separator], out var type) ? new Identifier(brand, type, idv[(separator + 1)..]) : null;
    }
}
