namespace Sessions.Grains.Contracts;

/// <summary>
/// Where a login happens: the mobile app, which keeps a key, or a browser (API.md §4.4), whose last USER token is
/// its refresh credential and whose families never replace the app's or each other.
/// </summary>
[GenerateSerializer, Alias("sessions.channel")]
public enum Channel
{
    Mobile,
    Web,
}
