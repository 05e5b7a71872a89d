namespace Sessions.ResourceServer;

/// <summary>
/// Where a resource server remembers the DPoP proofs it has accepted, so that none is accepted twice (RFC 9449 §11.1).
/// The default remembers them in this process. A resource server that runs as several processes behind one address
/// needs a cache they share (<c>Sessions.ResourceServer.Redis</c>): otherwise a proof copied off the wire is accepted
/// once more by each process it reaches within the proof's minute.
/// </summary>
public interface IDeviceProofReplayCache
{
    /// <summary>
    /// Remembers <paramref name="proofId"/> for <paramref name="lifetime"/> and answers true when it was not remembered
    /// yet; false when it was. Of racing calls with one id, exactly one answers true. Throws when it cannot tell (the
    /// shared store is down): the proof is then refused.
    /// </summary>
    ValueTask<bool> TryAddAsync(string proofId, TimeSpan lifetime, CancellationToken cancellationToken);
}
