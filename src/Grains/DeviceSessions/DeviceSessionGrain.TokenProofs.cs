using Sessions.Grains.Contracts;

namespace Sessions.Grains.DeviceSessions;

/// <summary>
/// Device proofs on account calls (README, "Device-bound keys"): where the brand requires it, a bound family's USER
/// token authorises a call only with a proof by the family's device key, which the family takes by the same rule as a
/// regenerate's proof (<see cref="DeviceBindingRule"/>) and remembers the same way.
/// </summary>
internal sealed partial class DeviceSessionGrain
{
    public async Task<Outcome> AcceptTokenProofAsync(FamilyReference token, DeviceProof proof)
    {
        // Only a bound family's tokens carry cnf, and a bound family stays bound: an unbound one here was named by no
        // token of ours, so it authorises nothing (and is not bound by an account call's proof).
        if (LiveFamily(token) is not { DeviceKeyThumbprint: not null } family)
        {
            return Outcome.Failed(AuthError.InvalidToken);
        }
        if (DeviceBindingRule.Refusal(family, proof, _brand.DeviceBinding, Now, _proofSignatures) is { } refused)
        {
            await RecordRefusalAsync(family, refused);
            return Outcome.Failed(refused, ProofRetryAfter(refused));
        }
        State.ReplaceFamily(family.WithProof(proof, Now));
        await SaveAsync();
        return Outcome.Ok;
    }
}
