namespace Sessions.Grains.Contracts;

/// <summary>The grain type names, shared by the grain classes and the callers that build references without reflection.</summary>
public static class GrainTypes
{
    public const string DeviceSession = "device-session";

    public const string Identifier = "identifier";

    public const string CustomerHistory = "customer-history";
}
