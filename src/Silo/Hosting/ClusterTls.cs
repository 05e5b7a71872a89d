using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Orleans.Connections.Security;

namespace Sessions.Silo.Hosting;

/// <summary>
/// Mutual TLS for the cluster's links (silo to silo, API client to gateway): every process presents the configured
/// certificate and accepts a peer only if it presents a certificate with the same public key. No certificate authority
/// is trusted, so a certificate that some CA issued for another purpose opens nothing.
/// </summary>
public static class ClusterTls
{
    /// <remarks>A certificate that cannot be read is left to start-up validation, which names the setting.</remarks>
    public static ISiloBuilder UseClusterTls(this ISiloBuilder silo, ClusterTlsOptions options)
    {
        if (options.IsConfigured && Problem(options) is null)
        {
            var certificate = Load(options);
            silo.UseTls(certificate, tls => Configure(tls, certificate));
        }
        return silo;
    }

    public static IClientBuilder UseClusterTls(this IClientBuilder client, ClusterTlsOptions options)
    {
        if (options.IsConfigured && Problem(options) is null)
        {
            var certificate = Load(options);
            client.UseTls(certificate, tls => Configure(tls, certificate));
        }
        return client;
    }

    /// <summary>Why the configured certificate cannot serve, or null when it can.</summary>
    public static string? Problem(ClusterTlsOptions options)
    {
        try
        {
            using var certificate = Load(options);
            return certificate.HasPrivateKey ? null : "holds no private key";
        }
        catch (Exception e) when (e is CryptographicException or IOException or UnauthorizedAccessException)
        {
            return $"cannot be read ({e.Message.TrimEnd('.')})";
        }
    }

    private static X509Certificate2 Load(ClusterTlsOptions options) =>
        X509CertificateLoader.LoadPkcs12FromFile(options.CertificatePath!, options.Password);

    private static void Configure(TlsOptions tls, X509Certificate2 certificate)
    {
        tls.LocalCertificate = certificate;
        tls.RemoteCertificateMode = RemoteCertificateMode.RequireCertificate;
        tls.ClientCertificateMode = RemoteCertificateMode.RequireCertificate;
        tls.RemoteCertificateValidation = (remote, _, _) => SamePublicKey(remote, certificate);
        tls.OnAuthenticateAsClient = (_, client) => client.TargetHost = certificate.GetNameInfo(X509NameType.SimpleName, forIssuer: false);
    }

    private static bool SamePublicKey(X509Certificate2 remote, X509Certificate2 local) =>
        CryptographicOperations.FixedTimeEquals(remote.GetPublicKey(), local.GetPublicKey());
}
