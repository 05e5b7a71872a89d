namespace Sessions.Grains.Contracts;

/// <summary>Which factor a session or key family belongs to: the first factor (login) or the second (MFA).</summary>
[GenerateSerializer, Alias("sessions.flow")]
public enum SessionFlow
{
    Login,
    Mfa,
}

/// <summary>The <c>rol</c> a USER-class token carries (API.md §4.3).</summary>
[GenerateSerializer, Alias("sessions.role")]
public enum SessionRole
{
    USER,
    MFA_PENDING,
}
