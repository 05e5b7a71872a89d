namespace Sessions.Grains.Configuration;

/// <summary>
/// A web page's origin written as browsers send it in <c>Origin</c> (RFC 6454 §6.2): scheme and host in lower case,
/// and the port only when it is not the scheme's default. A brand's <c>Web:AllowedOrigins</c> are compared to that
/// header byte for byte, so each is kept in this form.
/// </summary>
public static class WebOrigin
{
    /// <summary>The origin <paramref name="text"/> names, or null and why a brand may not list it.</summary>
    public static string? Normalize(string? text, out string reason)
    {
        reason = "";
        if (text is "*" or "null")
        {
            // "*" would let any website run logins in its visitors' browsers, from their addresses; "null" is every
            // sandboxed frame and local file.
            reason = $"must name one website; '{text}' is not allowed";
            return null;
        }
        if (!Uri.TryCreate(text, UriKind.Absolute, out var uri) || uri.Scheme is not ("https" or "http") || uri.Host.Length == 0)
        {
            reason = "must be an origin such as https://shop.example.com";
            return null;
        }
        if (uri.UserInfo.Length > 0 || uri.AbsolutePath != "/" || uri.Query.Length > 0 || uri.Fragment.Length > 0)
        {
            reason = "must be scheme, host and port only, as browsers send it (https://shop.example.com, no path)";
            return null;
        }
        if (uri.Scheme == "http" && !IsLoopback(uri))
        {
            // Script on an http page can be changed on the way, and it would hold the customer's tokens.
            reason = "must be https (http only for localhost, a developer's own machine)";
            return null;
        }
        // Browsers send a name's punycode form, and an IPv6 address in its brackets (which IdnHost drops).
        var host = uri.HostNameType == UriHostNameType.IPv6 ? uri.Host : uri.IdnHost.ToLowerInvariant();
        return uri.IsDefaultPort ? $"{uri.Scheme}://{host}" : $"{uri.Scheme}://{host}:{uri.Port}";
    }

    private static bool IsLoopback(Uri uri) =>
        uri.IsLoopback || uri.Host.EndsWith(".localhost", StringComparison.OrdinalIgnoreCase);
}
