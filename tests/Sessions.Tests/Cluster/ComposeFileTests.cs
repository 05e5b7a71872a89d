using System.Globalization;
using System.Text.RegularExpressions;
using YamlDotNet.RepresentationModel;

namespace Sessions.Tests.Cluster;

/// <summary>
/// docker-compose.yml cannot be started on machines without a Docker engine; these tests hold its structure to what
/// the cluster needs: durable Redis, replicas, health checks, restart policies, stop grace longer than shutdown; and
/// the API's image and launch profile to the runtime switch its performance figures were measured with.
/// </summary>
public sealed class ComposeFileTests
{
    private static readonly string Root = FindRoot();
    private readonly YamlMappingNode _services;
    private readonly YamlMappingNode _compose;

    public ComposeFileTests()
    {
        var yaml = new YamlStream();
        yaml.Load(new StringReader(File.ReadAllText(Path.Combine(Root, "docker-compose.yml"))));
        _compose = (YamlMappingNode)yaml.Documents[0].RootNode;
        _services = Map(_compose, "services");
    }

    [Fact]
    public void RedisKeepsAnAppendOnlyLogAndNeverEvicts()
    {
        var command = string.Join(' ', ((YamlSequenceNode)Map(_services, "redis")["command"]).Select(n => n.ToString()));

        Assert.Contains("--appendonly yes", command);
        Assert.Contains("--maxmemory-policy noeviction", command);
        Assert.Contains("redis-data", Map(_services, "redis")["volumes"].ToString());
    }

    [Theory]
    [InlineData("silo", 3)]
    [InlineData("api", 2)]
    public void SilosAndApisRunAsReplicasBuiltFromTheirDockerfiles(string service, int replicas)
    {
        var definition = Map(_services, service);

        Assert.Equal(replicas, int.Parse(Map(definition, "deploy")["replicas"].ToString(), CultureInfo.InvariantCulture));
        Assert.True(File.Exists(Path.Combine(Root, Map(definition, "build")["dockerfile"].ToString())));
    }

    [Fact]
    public void TheApisImageAndLaunchProfileLeaveSocketCompletionsToTheThreadPool()
    {
        // A grain call made off the thread pool takes its completion source from that thread's pool stack and gives it
        // back to a pool thread's: with requests on the socket event threads every grain call leaked one (README,
        // Performance). The runtime's switch must not come back by the image or the profile.
        const string inlineCompletions = "DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS";
        var dockerfile = File.ReadAllText(Path.Combine(Root, "src", "Api", "Dockerfile"));
        var launch = File.ReadAllText(Path.Combine(Root, "src", "Api", "Properties", "launchSettings.json"));

        Assert.DoesNotContain(inlineCompletions, dockerfile, StringComparison.Ordinal);
        Assert.DoesNotContain(inlineCompletions, launch, StringComparison.Ordinal);
    }

    [Fact]
    public void EveryServiceHasAHealthCheckARestartPolicyAndAStopGraceLongerThanTheShutdownTimeout()
    {
        var shutdown = int.Parse(Map(_compose, "x-sessions-environment")["DOTNET_SHUTDOWNTIMEOUTSECONDS"].ToString(), CultureInfo.InvariantCulture);
        foreach (var (name, node) in _services.Children)
        {
            var service = (YamlMappingNode)node;
            Assert.True(service.Children.ContainsKey("healthcheck"), $"{name} has no healthcheck");
            Assert.Equal("unless-stopped", service["restart"].ToString());
            var grace = int.Parse(service["stop_grace_period"].ToString().TrimEnd('s'), CultureInfo.InvariantCulture);
            Assert.True(grace >= shutdown, $"{name}: stop_grace_period {grace}s is shorter than the {shutdown}s shutdown");
        }
        Assert.True(int.Parse(Map(_services, "silo")["stop_grace_period"].ToString().TrimEnd('s'), CultureInfo.InvariantCulture) > shutdown);
    }

    [Fact]
    public void OnlyTheGatewayPublishesAPortAndNoSecretIsWrittenDown()
    {
        var publishing = _services.Children.Where(s => ((YamlMappingNode)s.Value).Children.ContainsKey("ports")).Select(s => s.Key.ToString());
        var environment = Map(_compose, "x-sessions-environment");

        Assert.Equal(["gateway"], publishing);
        foreach (var (key, value) in environment.Children)
        {
            if (Regex.IsMatch(key.ToString(), "Secret|HashKey|Tls__Password"))
            {
                Assert.Matches(@"^\$\{[A-Z_]+:\?", value.ToString());
            }
        }
    }

    [Fact]
    public void TheClusterRunsOverTlsRedisAsksForAPasswordAndMetricsStayOffTheGateway()
    {
        var environment = Map(_compose, "x-sessions-environment");
        var api = Map(Map(_services, "api"), "environment");
        var gateway = _compose["configs"]["gateway"]["content"].ToString();
        var redis = string.Join(' ', ((YamlSequenceNode)Map(_services, "redis")["command"]).Select(n => n.ToString()));

        Assert.Equal("/run/secrets/cluster-certificate", environment["Sessions__Cluster__Tls__CertificatePath"].ToString());
        Assert.False(environment.Children.ContainsKey("Sessions__Cluster__AllowPlaintext"));
        Assert.All(new[] { "silo", "api" }, service => Assert.Contains("cluster-certificate", Map(_services, service)["secrets"].ToString()));
        Assert.Contains("--requirepass", redis);
        Assert.Contains("password=", environment["ConnectionStrings__Redis"].ToString());
        Assert.Equal("9090", api["Sessions__Metrics__Port"].ToString());
        Assert.Contains("proxy_pass $api", gateway.Replace("$$", "$", StringComparison.Ordinal));
        Assert.DoesNotContain("9090", gateway);
        Assert.Contains("location = /metrics { return 404; }", gateway);
    }

    [Fact]
    public void ImagesArePinnedToAVersion()
    {
        foreach (var (name, node) in _services.Children)
        {
            if (((YamlMappingNode)node).Children.TryGetValue("image", out var image) && !((YamlMappingNode)node).Children.ContainsKey("build"))
            {
                Assert.Matches(@":\d+\.\d+", image.ToString());
                Assert.DoesNotContain("latest", image.ToString());
            }
        }
    }

    private static YamlMappingNode Map(YamlMappingNode node, string key) => (YamlMappingNode)node[key];

    private static string FindRoot()
    {
        var directory = new DirectoryInfo(AppContext.BaseDirectory);
        while (directory is not null && !File.Exists(Path.Combine(directory.FullName, "Sessions.sln")))
        {
            directory = directory.Parent;
        }
        return directory?.FullName ?? throw new InvalidOperationException("Sessions.sln not found above the test output.");
    }
}
