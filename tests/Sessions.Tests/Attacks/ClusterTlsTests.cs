using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Sessions.Tests.Infrastructure;

namespace Sessions.Tests.Attacks;

/// <summary>
/// Silo to silo and API to gateway, the cluster's links carry password hashes, OTP hashes and key state: they run over
/// mutual TLS with the cluster's certificate (API.md §8), and a peer without it gets nothing.
/// </summary>
public sealed class ClusterTlsTests
{
    [Fact]
    public async Task SilosAndAnApiClientWithTheClusterCertificateServeTheWholeFlow()
    {
        var certificate = TlsCertificates.Create("sessions-cluster");
        var cluster = WithTls(TestCluster.OnTestStore("tls"), certificate);
        var silo1Gateway = FreePort.Next();
        await using var nodes = new InProcessCluster(cluster, silo1Gateway);

        var (first, retry, _, _) = await nodes.LogInAndRegenerateOnBothSilosAsync();

        Assert.Equal(first, retry);
        Assert.False(await AcceptsAsync(silo1Gateway, clientCertificate: null), "a peer without a certificate is refused");
        Assert.False(await AcceptsAsync(silo1Gateway, TlsCertificates.Create("sessions-cluster")), "a certificate of the same name but another key is refused");
        Assert.True(await AcceptsAsync(silo1Gateway, certificate), "the cluster's own certificate is accepted");
    }

    /// <summary>Whether a TLS handshake with the gateway succeeds and the connection stays up for a first read.</summary>
    private static async Task<bool> AcceptsAsync(int port, X509Certificate2? clientCertificate)
    {
        using var tcp = new TcpClient();
        await tcp.ConnectAsync("127.0.0.1", port);
        await using var tls = new SslStream(tcp.GetStream(), leaveInnerStreamOpen: false, (_, _, _, _) => true);
        try
        {
            await tls.AuthenticateAsClientAsync(new SslClientAuthenticationOptions
            {
                TargetHost = "sessions-cluster",
                ClientCertificates = clientCertificate is null ? null : new X509CertificateCollection { clientCertificate },
            });
            // TLS 1.3 lets the client finish before the server has checked its certificate; a refusal shows on reading.
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(3));
            var read = await tls.ReadAsync(new byte[1], timeout.Token);
            return read > 0;
        }
        catch (OperationCanceledException)
        {
            return true; // still connected and waiting for the Orleans handshake: accepted
        }
        catch (Exception e) when (e is IOException or System.Security.Authentication.AuthenticationException or SocketException)
        {
            return false;
        }
    }

    private static Dictionary<string, string?> WithTls(Dictionary<string, string?> cluster, X509Certificate2 certificate)
    {
        var path = Path.Combine(TempDirectory.Create("tls"), "cluster.pfx");
        File.WriteAllBytes(path, certificate.Export(X509ContentType.Pkcs12, "pfx-password"));
        return new(cluster)
        {
            ["Sessions:Cluster:Tls:CertificatePath"] = path,
            ["Sessions:Cluster:Tls:Password"] = "pfx-password",
        };
    }
}

public static class TlsCertificates
{
    /// <summary>A self-signed certificate with its private key, as an operator would make one for the cluster.</summary>
    public static X509Certificate2 Create(string name)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest($"CN={name}", key, HashAlgorithmName.SHA256);
        using var certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(30));
        return X509CertificateLoader.LoadPkcs12(certificate.Export(X509ContentType.Pkcs12, ""), "");
    }
}
