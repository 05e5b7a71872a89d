using Sessions.Grains.Configuration;
using Sessions.Grains.Contracts;

namespace Sessions.Grains.DeviceSessions;

/// <summary>
/// The one rule by which a family takes a device proof (API.md §4.7), beside <see cref="KeyRotation"/>: a bound family
/// needs a proof by its key, each proof once; an unbound one is bound by its first valid proof, and under
/// <c>Required</c> needs one. A refusal is decided before anything changes, so it leaves the family exactly as it was.
/// With the brand's binding <c>Off</c>, proofs and bindings are ignored (keys are bearer).
/// </summary>
internal static class DeviceBindingRule
{
    /// <summary>
    /// How many proofs a family remembers while they could be fresh. A device makes one per regenerate; more than this
    /// within a nonce's lifetime is a loop or an attack, refused (429) until the oldest is stale, so state stays small.
    /// </summary>
    public const int MaxRememberedProofs = 100;

    /// <summary>Why the family refuses this exchange's proof (or its absence); null when the exchange may go on.</summary>
    public static AuthError? Refusal(KeyFamily family, DeviceProof? proof, DeviceBinding binding, DateTimeOffset now, DeviceProofSignatures signatures)
    {
        if (binding == DeviceBinding.Off)
        {
            return null;
        }
        if (family.DeviceKeyThumbprint is not { } bound)
        {
            return NewFamilyRefusal(proof, binding, signatures);
        }
        if (proof is null)
        {
            return AuthError.DeviceProofRequired;
        }
        if (proof.KeyThumbprint != bound)
        {
            // A valid proof by another key means the key was copied (a security event); an invalid one is only invalid.
            return signatures.AreValid(proof, keep: false) ? AuthError.DeviceKeyMismatch : AuthError.DeviceProofInvalid;
        }
        return family.HasUsed(proof, now) || !signatures.AreValid(proof, keep: true) ? AuthError.DeviceProofInvalid
            : family.FreshProofCount(now) >= MaxRememberedProofs ? AuthError.TooManyRequests
            : null;
    }

    /// <summary>
    /// Why a family may not start, or an unbound one be bound, with this proof: under <c>Required</c> none is 1562, and
    /// a proof whose signature does not verify is 1560. Checked before a validate consumes anything.
    /// </summary>
    public static AuthError? NewFamilyRefusal(DeviceProof? proof, DeviceBinding binding, DeviceProofSignatures signatures) =>
        binding == DeviceBinding.Off ? null
        : proof is null ? binding == DeviceBinding.Required ? AuthError.DeviceProofRequired : null
        : signatures.AreValid(proof, keep: true) ? null
        : AuthError.DeviceProofInvalid;

    /// <summary>The family with the proof that started or exchanged it recorded (binding it, if it was not): nothing without one.</summary>
    public static KeyFamily Bind(KeyFamily family, DeviceProof? proof, DeviceBinding binding, DateTimeOffset now) =>
        proof is null || binding == DeviceBinding.Off ? family : family.WithProof(proof, now);

    /// <summary>The exchange with its proof recorded on the family it leaves: always a write.</summary>
    public static Exchange Record(Exchange exchange, DeviceProof? proof, DeviceBinding binding, DateTimeOffset now) =>
        proof is null || binding == DeviceBinding.Off || exchange.Error != AuthError.None
            ? exchange
            : exchange with { Family = exchange.Family.WithProof(proof, now), Changed = true };

    /// <summary>The thumbprint a family's tokens and keys carry as <c>cnf.jkt</c>: none while bindings are ignored.</summary>
    public static string? Thumbprint(KeyFamily family, DeviceBinding binding) => binding == DeviceBinding.Off ? null : family.DeviceKeyThumbprint;
}
