using Orleans.Metadata;
using Sessions.Grains.Contracts;

namespace Sessions.Api.Endpoints;

/// <summary>
/// Device-session grain references for the hot path. <c>GetGrain&lt;T&gt;(key)</c> resolves the grain and interface types
/// by reflection on every call; both are fixed, so they are resolved once and the reference is made from the id.
/// </summary>
public sealed class DeviceSessionReferences(IGrainFactory grains, GrainInterfaceTypeResolver interfaces)
{
    private static readonly GrainType Type = GrainType.Create(GrainTypes.DeviceSession);

    private readonly GrainInterfaceType _interface = interfaces.GetGrainInterfaceType(typeof(IDeviceSessionGrain));

    public IDeviceSessionGrain Get(string key) => (IDeviceSessionGrain)grains.GetGrain(GrainId.Create(Type, key), _interface);
}
