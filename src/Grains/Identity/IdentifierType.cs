namespace Sessions.Grains.Identity;

[GenerateSerializer, Alias("sessions.identifier-type")]
public enum IdentifierType
{
    MOBILE,
    EMAIL,
    USERNAME,
    EXTERNALID,
}
