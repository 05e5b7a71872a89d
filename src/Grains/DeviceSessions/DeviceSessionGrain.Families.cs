using Sessions.Grains.Contracts;
using Sessions.Grains.Identity;

namespace Sessions.Grains.DeviceSessions;

/// <summary>The device session's key families: mobile (one per flow) and web (one per browser), and their revocation.</summary>
internal sealed partial class DeviceSessionGrain
{
    public async Task<Grant> RegenerateAsync(SessionFlow flow, string familyId, string keyId, DeviceProof? proof)
    {
        var family = State.Family(flow);
        if (family is null || family.Id != familyId)
        {
            return Grant.Failed(AuthError.InvalidKey);
        }
        if (Refusal(family, FamilyLifetime.IsMobileExpired(flow, family, _brand, Now), proof) is { } refused)
        {
            await RecordRefusalAsync(family, refused.Error);
            return refused;
        }

        var exchange = KeyRotation.Exchange(family, keyId, Now, Grace, _brand.RotateKeyOnRegenerate ? () => NewMobileKey(flow, family.CreatedAt) : null);
        return await ApplyAsync(DeviceBindingRule.Record(exchange, proof, _brand.DeviceBinding, Now));
    }

    public async Task<Grant> RegenerateWebAsync(string familyId, string tokenId, DeviceProof? proof)
    {
        if (State.WebFamilies.Find(f => f.Id == familyId) is not { } family)
        {
            return Grant.Failed(AuthError.InvalidKey);
        }
        if (Refusal(family, FamilyLifetime.IsWebExpired(family, _brand, Now), proof) is { } refused)
        {
            await RecordRefusalAsync(family, refused.Error);
            return refused;
        }

        // A browser's token always rotates: its jti is the family's current credential.
        var exchange = KeyRotation.Exchange(family, tokenId, Now, Grace, NewWebKey);
        return await ApplyAsync(DeviceBindingRule.Record(exchange, proof, _brand.DeviceBinding, Now));
    }

    public Task<bool> IsFamilyActiveAsync(string familyId) =>
        Task.FromResult(State.AllFamilies().FirstOrDefault(f => f.Id == familyId) is { } family && IsLive(family));

    public async Task<Outcome> ExpireMfaFamilyAsync(string familyId)
    {
        if (State.MfaFamily is not { IsRevoked: false } family || family.Id != familyId)
        {
            return Outcome.Failed(AuthError.UnableToExpireToken);
        }

        State.MfaFamily = family with { RevokedAt = Now };
        await SaveAsync();
        await RecordAsync(family.CustomerId, Event(SecurityEventKind.FamilyRevoked, family) with { Reason = RevocationReasons.Logout });
        await ForgetIfNoLiveFamilyAsync(family.CustomerId);
        return Outcome.Ok;
    }

    public async Task<int> RevokeFamiliesAsync(string customerId, bool mfaOnly, IReadOnlyList<string> keep, string reason)
    {
        _revocations++;
        var revoked = await RevokeOwnFamiliesAsync(customerId, mfaOnly, keep, reason);
        await ForgetIfNoLiveFamilyAsync(customerId);
        return revoked;
    }

    public async Task<int> EraseCustomerAsync(string customerId)
    {
        _revocations++;
        var live = State.AllFamilies().Where(f => f.CustomerId == customerId && IsLive(f)).ToList();
        if (!State.ForgetCustomer(customerId))
        {
            return 0;
        }
        foreach (var family in live)
        {
            LogFamilyRevoked(_identifier.Brand, _identifier.Type, family.Flow, family.Id, RevocationReasons.CustomerErased);
        }
        await SaveOrClearAsync();
        return live.Count;
    }

    public Task<IReadOnlyList<FamilySummary>> LiveFamiliesAsync(string customerId) =>
        Task.FromResult<IReadOnlyList<FamilySummary>>([.. State.AllFamilies()
            .Where(f => f.CustomerId == customerId && IsLive(f))
            .Select(f => new FamilySummary
            {
                FamilyId = f.Id,
                Channel = f.Channel,
                Flow = f.Flow,
                CreatedAt = f.CreatedAt,
                LastUsedAt = f.LastUsedAt,
                ExpiresAt = ExpiresAt(f),
                DeviceBound = DeviceBindingRule.Thumbprint(f, _brand.DeviceBinding) is not null,
                AuthorizedByFamilyId = f.AuthorizedByFamilyId,
            })]);

    public async Task<bool> RevokeFamilyAsync(string customerId, string familyId, string reason)
    {
        if (State.AllFamilies().FirstOrDefault(f => f.Id == familyId) is not { } family || family.CustomerId != customerId || !IsLive(family))
        {
            return false;
        }
        State.ReplaceFamily(family with { RevokedAt = Now });
        await SaveAsync();
        LogFamilyRevoked(_identifier.Brand, _identifier.Type, family.Flow, family.Id, reason);
        await RecordAsync(customerId, Event(SecurityEventKind.FamilyRevoked, family) with { Reason = reason });
        await ForgetIfNoLiveFamilyAsync(customerId);
        return true;
    }

    private Task<Grant> StartMobileFamilyAsync(SessionFlow flow, string customerId, SessionRole role, FamilyReference? authorizedBy, DeviceProof? proof) =>
        StartFamilyAsync(Channel.Mobile, flow, customerId, role, NewMobileKey(flow, Now), authorizedBy, proof);

    private Task<Grant> StartWebFamilyAsync(SessionFlow flow, string customerId, SessionRole role, FamilyReference? authorizedBy, DeviceProof? proof) =>
        StartFamilyAsync(Channel.Web, flow, customerId, role, NewWebKey(), authorizedBy, proof);

    /// <summary>
    /// A new family for a passed factor. A mobile family replaces its flow's previous one on this device; a web family
    /// joins the others (kept least recently used first), the front ones leaving beyond the brand's Web.MaxFamilies.
    /// </summary>
    private async Task<Grant> StartFamilyAsync(Channel channel, SessionFlow flow, string customerId, SessionRole role, IssuedKey key, FamilyReference? authorizedBy, DeviceProof? proof)
    {
        var now = Now;
        var family = new KeyFamily
        {
            Id = RandomIds.NewTokenId(),
            CustomerId = customerId,
            Role = role,
            CreatedAt = now,
            LastUsedAt = now,
            CurrentKey = key,
            Channel = channel,
            Flow = flow,
            AuthorizedByFamilyId = authorizedBy?.FamilyId,
        };
        // A proof at the validate (its signature checked before anything was consumed) binds the new family (API.md §4.7).
        family = DeviceBindingRule.Bind(family, proof, _brand.DeviceBinding, now);
        var replaced = new List<KeyFamily>();
        if (channel == Channel.Mobile)
        {
            if (State.Family(flow) is { } previous)
            {
                replaced.Add(previous);
            }
            State.SetFamily(flow, family);
        }
        else
        {
            State.WebFamilies.Add(family);
            var excess = State.WebFamilies.Count - _brand.Web.MaxFamilies;
            if (excess > 0)
            {
                replaced.AddRange(State.WebFamilies.Take(excess));
                State.WebFamilies.RemoveRange(0, excess);
            }
        }
        await SaveAsync();

        foreach (var previous in replaced)
        {
            if (!previous.IsRevoked)
            {
                LogFamilyRevoked(_identifier.Brand, _identifier.Type, previous.Flow, previous.Id, "replaced by a new login");
            }
            if (previous.CustomerId != customerId)
            {
                await ForgetIfNoLiveFamilyAsync(previous.CustomerId);
            }
        }
        var issuesKey = channel == Channel.Web || (flow == SessionFlow.Login ? _brand.IssuePrimaryKey : _brand.IssueMfaKey);
        return GrantFor(family, issuesKey ? family.CurrentKey : null);
    }

    private async Task<Grant> ApplyAsync(Exchange exchange)
    {
        if (exchange.Changed)
        {
            if (exchange.Family.Channel == Channel.Web && exchange.Error == AuthError.None)
            {
                State.PutUsedWebFamily(exchange.Family);
            }
            else
            {
                State.ReplaceFamily(exchange.Family);
            }
            await SaveAsync();
        }
        else if (exchange.HandOut is not null)
        {
            // A retry within the grace gets the successor again. The rotation that made it may be one the store never
            // confirmed (its answer was a 1599, and this activation read it back from a primary whose replicas lack
            // it): written again, it goes out only once the store holds it as durably as a first answer would.
            await SaveAsync();
        }
        if (exchange.Error == AuthError.KeyReused && exchange.Changed)
        {
            await RecordAsync(exchange.Family.CustomerId, Event(SecurityEventKind.KeyReuseDetected, exchange.Family) with { Reason = RevocationReasons.KeyReuse });
        }
        if (exchange.Error != AuthError.None)
        {
            await ForgetIfNoLiveFamilyAsync(exchange.Family.CustomerId);
            return Grant.Failed(exchange.Error);
        }
        return GrantFor(exchange.Family, exchange.HandOut);
    }

    /// <summary>A dead family's answer, then the device binding's (API.md §4.7): either leaves the family as it was.</summary>
    private Grant? Refusal(KeyFamily family, bool expired, DeviceProof? proof) =>
        family.RevokedForReuse ? Grant.Failed(AuthError.KeyReused)
        : family.IsRevoked || expired ? Grant.Failed(AuthError.InvalidKey)
        : DeviceBindingRule.Refusal(family, proof, _brand.DeviceBinding, Now, _proofSignatures) is { } binding
            ? Grant.Failed(binding, ProofRetryAfter(binding))
        : null;

    /// <summary>A family that took too many proofs takes more once the oldest is stale: within the proof window.</summary>
    private TimeSpan? ProofRetryAfter(AuthError refusal) =>
        refusal == AuthError.TooManyRequests ? TimeSpan.FromSeconds(_brand.DeviceProofWindowSeconds) : null;

    /// <summary>
    /// Revokes the customer's families (MFA ones only, for the MFA password) on every device session a password change
    /// names, this one included, but the login chain <paramref name="keep"/>. Each device session takes itself off the
    /// customer's list once it holds nothing of theirs.
    /// </summary>
    private async Task RevokeCustomerFamiliesAsync(PasswordChanged changed, string customerId, bool mfaOnly, IReadOnlyList<string> keep, string reason)
    {
        await RevokeAsync(changed.DeviceSessions.Where(key => key != _key), customerId, mfaOnly, keep, reason);
        _revocations++;
        await RevokeOwnFamiliesAsync(customerId, mfaOnly, keep, reason);
        await ForgetIfNoLiveFamilyAsync(customerId);
    }

    private Task RevokeAsync(IEnumerable<string> deviceSessions, string customerId, bool mfaOnly, IReadOnlyList<string> keep, string reason) =>
        Task.WhenAll(deviceSessions.Select(key => GrainFactory.GetGrain<IDeviceSessionGrain>(key).RevokeFamiliesAsync(customerId, mfaOnly, keep, reason)));

    /// <summary>Revokes this device session's families of the customer but the chain <paramref name="keep"/>; answers how many were live.</summary>
    private async Task<int> RevokeOwnFamiliesAsync(string customerId, bool mfaOnly, IReadOnlyList<string> keep, string reason)
    {
        var revoked = 0;
        var ended = new List<KeyFamily>();
        foreach (var family in State.AllFamilies().ToList())
        {
            if (!family.IsRevoked && family.CustomerId == customerId && (!mfaOnly || family.Flow == SessionFlow.Mfa)
                && !keep.Contains(family.Id) && (family.AuthorizedByFamilyId is null || !keep.Contains(family.AuthorizedByFamilyId)))
            {
                State.ReplaceFamily(family with { RevokedAt = Now });
                if (IsLive(family))
                {
                    revoked++;
                    ended.Add(family);
                }
                LogFamilyRevoked(_identifier.Brand, _identifier.Type, family.Flow, family.Id, reason);
            }
        }
        if (revoked > 0)
        {
            await SaveAsync();
        }
        foreach (var family in ended)
        {
            await RecordAsync(customerId, Event(SecurityEventKind.FamilyRevoked, family) with { Reason = reason });
        }
        return revoked;
    }

    /// <summary>The live family a token names, if it is this device session's and the token's customer's.</summary>
    private KeyFamily? LiveFamily(FamilyReference token) =>
        token.DeviceSessionKey == _key && State.AllFamilies().FirstOrDefault(f => f.Id == token.FamilyId) is { } family
        && family.CustomerId == token.CustomerId && IsLive(family)
            ? family
            : null;

    /// <summary>Whether the family a token names still lives, on this device session or another.</summary>
    private async Task<bool> IsFamilyAliveAsync(FamilyReference token) =>
        token.DeviceSessionKey == _key
            ? LiveFamily(token) is not null
            : await GrainFactory.GetGrain<IDeviceSessionGrain>(token.DeviceSessionKey).IsFamilyActiveAsync(token.FamilyId);

    private bool IsLive(KeyFamily family) => !family.IsRevoked && !FamilyLifetime.IsExpired(family, _brand, Now);

    private DateTimeOffset ExpiresAt(KeyFamily family) => FamilyLifetime.ExpiresAt(family, _brand);

    /// <summary>Takes this device session off the customer's list once it holds none of the customer's live families.</summary>
    private Task ForgetIfNoLiveFamilyAsync(string customerId) =>
        State.AllFamilies().Any(f => !f.IsRevoked && f.CustomerId == customerId)
            ? Task.CompletedTask
            : ForgetAsync(customerId, [_key], long.MaxValue);

    /// <summary>
    /// Best effort: the revocation this follows has committed, so a failure here must not fail the call. An entry
    /// left behind only costs a place in the customer's bounded list and a no-op revocation later.
    /// </summary>
    private async Task ForgetAsync(string customerId, IReadOnlyList<string> deviceSessions, long asOf)
    {
        if (deviceSessions.Count == 0)
        {
            return;
        }
        try
        {
            await Customer(customerId).ForgetDeviceSessionsAsync(deviceSessions, asOf);
        }
        catch (Exception e) when (e is OrleansException or TimeoutException)
        {
            LogForgetFailed(e, _identifier.Brand, deviceSessions.Count);
        }
    }

    private TimeSpan Grace => TimeSpan.FromSeconds(_brand.KeyReuseGraceSeconds);

    private IssuedKey NewMobileKey(SessionFlow flow, DateTimeOffset familyCreatedAt) => new()
    {
        KeyId = RandomIds.NewTokenId(),
        IssuedAt = Now,
        ExpiresAt = FamilyLifetime.MobileKeyLifetime(_brand, flow) is { } lifetime ? familyCreatedAt + lifetime : null,
    };

    /// <summary>A web family's credential is its USER token: these are the token's jti, iat and exp.</summary>
    private IssuedKey NewWebKey() => new()
    {
        KeyId = RandomIds.NewTokenId(),
        IssuedAt = Now,
        ExpiresAt = Now.AddMinutes(_brand.Web.TokenMinutes),
    };

    private Grant GrantFor(KeyFamily family, IssuedKey? key) => new()
    {
        CustomerId = family.CustomerId,
        Role = family.Role,
        FamilyId = family.Id,
        Key = key,
        Channel = family.Channel,
        DeviceKeyThumbprint = DeviceBindingRule.Thumbprint(family, _brand.DeviceBinding),
    };
}
