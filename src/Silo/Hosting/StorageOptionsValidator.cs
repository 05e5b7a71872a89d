using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace Sessions.Silo.Hosting;

internal sealed class StorageOptionsValidator(IConfiguration configuration, IHostEnvironment environment) : IValidateOptions<StorageOptions>
{
    public ValidateOptionsResult Validate(string? name, StorageOptions options)
    {
        var errors = new List<string>();
        if (options.Mode == StorageMode.Redis && string.IsNullOrWhiteSpace(configuration.GetConnectionString("Redis")))
        {
            errors.Add("ConnectionStrings:Redis must be set when Sessions:Storage:Mode is 'Redis'.");
        }
        if (string.IsNullOrWhiteSpace(options.DataDirectory))
        {
            errors.Add("Sessions:Storage:DataDirectory must not be empty.");
        }
        if (options.EmbeddedPort is < 0 or > 65535)
        {
            errors.Add("Sessions:Storage:EmbeddedPort must be a TCP port (0 picks a free one).");
        }
        if (options.EmbeddedPassword is { } password && (password.Length < 16 || password.Any(char.IsWhiteSpace)))
        {
            errors.Add("Sessions:Storage:EmbeddedPassword must be at least 16 characters without white space.");
        }
        if (options.EmbeddedMemoryMegabytes is < 64 or > 1024 * 1024 || !int.IsPow2(options.EmbeddedMemoryMegabytes))
        {
            errors.Add("Sessions:Storage:EmbeddedMemoryMegabytes must be a power of two from 64 to 1048576 (1 TiB).");
        }
        if (options.RequireReplicaAcks is < 0 or > 5)
        {
            errors.Add("Sessions:Storage:RequireReplicaAcks must be between 0 (a single primary) and 5.");
        }
        if (options.RequireReplicaAcks > 0 && options.Mode != StorageMode.Redis)
        {
            errors.Add("Sessions:Storage:RequireReplicaAcks needs Sessions:Storage:Mode 'Redis': the embedded store has no replicas.");
        }
        if (options.ReplicaAckTimeout < TimeSpan.FromMilliseconds(10) || options.ReplicaAckTimeout > TimeSpan.FromSeconds(10))
        {
            errors.Add("Sessions:Storage:ReplicaAckTimeout must be between 00:00:00.010 and 00:00:10.");
        }
        if (options.SweepHours is < 0 or > 24 * 30)
        {
            errors.Add("Sessions:Storage:SweepHours must be between 0 (no sweep) and 720 (30 days).");
        }
        if (options.EmbeddedPort is not null && options.EmbeddedPassword is null && !environment.IsDevelopment())
        {
            // Grain state holds password hashes and every key family: a port anyone on the host reaches is a way to
            // read them and to write back a revoked family.
            errors.Add("Sessions:Storage:EmbeddedPassword must be set when Sessions:Storage:EmbeddedPort is set outside Development.");
        }
        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }
}

/// <remarks>Its own class: it reads the storage options, whose validator must not in turn depend on it.</remarks>
internal sealed class ClusterOptionsValidator(IConfiguration configuration, IOptions<StorageOptions> storage, IHostEnvironment environment) : IValidateOptions<SessionsClusterOptions>
{
    public ValidateOptionsResult Validate(string? name, SessionsClusterOptions options)
    {
        var errors = new List<string>();
        if (options.Mode != ClusterMode.Embedded && string.IsNullOrWhiteSpace(configuration.GetConnectionString("Redis")))
        {
            errors.Add($"ConnectionStrings:Redis must be set when Sessions:Cluster:Mode is '{options.Mode}'.");
        }
        if (options.Mode == ClusterMode.Silo && storage.Value.Mode != StorageMode.Redis)
        {
            errors.Add("Sessions:Storage:Mode must be 'Redis' when Sessions:Cluster:Mode is 'Silo': every silo of a cluster shares one store.");
        }
        if (string.IsNullOrWhiteSpace(options.ClusterId)) errors.Add("Sessions:Cluster:ClusterId must not be empty.");
        if (string.IsNullOrWhiteSpace(options.ServiceId)) errors.Add("Sessions:Cluster:ServiceId must not be empty.");
        if (options.ServiceId.AsSpan().IndexOfAny('{', '}') >= 0)
        {
            // It starts every grain-state key: a {…} in it would pin every key to one Redis Cluster slot.
            errors.Add("Sessions:Cluster:ServiceId must not contain '{' or '}'.");
        }
        if (options.SiloPort is < 1 or > 65535) errors.Add("Sessions:Cluster:SiloPort must be a TCP port.");
        if (!string.IsNullOrEmpty(options.AdvertisedAddress) && !System.Net.IPAddress.TryParse(options.AdvertisedAddress, out _))
        {
            errors.Add("Sessions:Cluster:AdvertisedAddress must be an IP address (silos advertise addresses, not host names).");
        }
        if (options.GatewayPort is < 0 or > 65535) errors.Add("Sessions:Cluster:GatewayPort must be a TCP port (0: no gateway).");
        ValidateMembership(options.Membership, errors);
        ValidateGrainCollection(options.GrainCollection, errors);
        if (options.Tls.IsConfigured && ClusterTls.Problem(options.Tls) is { } problem)
        {
            errors.Add($"Sessions:Cluster:Tls:CertificatePath {problem}.");
        }
        else if (options.Mode != ClusterMode.Embedded && !options.Tls.IsConfigured && !options.AllowPlaintext && !environment.IsDevelopment())
        {
            errors.Add($"Sessions:Cluster:Tls:CertificatePath must name the cluster's certificate in '{options.Mode}' mode outside Development "
                + "(grain calls carry password hashes and key state), or Sessions:Cluster:AllowPlaintext must be true on purpose.");
        }
        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }

    private static void ValidateGrainCollection(GrainCollectionSettings settings, List<string> errors)
    {
        const string section = "Sessions:Cluster:GrainCollection";
        if (settings.IdleMinutes is < 1 or > 1440) errors.Add($"{section}:IdleMinutes must be between 1 and 1440.");
        if (settings.ShedAtMemoryPercent != 0 && (settings.ShedAtMemoryPercent is < 10 or > 99 || settings.MemoryTargetPercent < 5 || settings.MemoryTargetPercent >= settings.ShedAtMemoryPercent))
        {
            errors.Add($"{section}:ShedAtMemoryPercent must be 0 (off) or between 10 and 99, and {section}:MemoryTargetPercent at least 5 and below it.");
        }
    }

    private static void ValidateMembership(MembershipTimings timings, List<string> errors)
    {
        const string section = "Sessions:Cluster:Membership";
        Between(timings.IAmAlivePeriod, TimeSpan.FromSeconds(1), TimeSpan.FromMinutes(5), $"{section}:IAmAlivePeriod");
        Between(timings.ProbeTimeout, TimeSpan.FromMilliseconds(500), TimeSpan.FromMinutes(1), $"{section}:ProbeTimeout");
        Between(timings.TableRefreshPeriod, TimeSpan.FromSeconds(1), TimeSpan.FromMinutes(5), $"{section}:TableRefreshPeriod");
        if (timings.MissedIAmAliveLimit is < 2 or > 100) errors.Add($"{section}:MissedIAmAliveLimit must be between 2 and 100.");
        if (timings.MissedProbesLimit is < 2 or > 100) errors.Add($"{section}:MissedProbesLimit must be between 2 and 100.");

        void Between(TimeSpan value, TimeSpan min, TimeSpan max, string setting)
        {
            if (value < min || value > max) errors.Add($"{setting} must be between {min:c} and {max:c}.");
        }
    }
}
