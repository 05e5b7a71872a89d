using System.Globalization;
using YamlDotNet.RepresentationModel;

namespace Sessions.Tests.Cluster;

/// <summary>
/// deploy/kubernetes cannot be applied on machines without a cluster; these tests hold its structure to what the
/// service needs: silos that advertise their pod IP, probes on the right endpoints, a grace period above the shutdown,
/// disruption budgets, requests, secrets only by reference, and metrics off the public Service.
/// </summary>
public sealed class KubernetesManifestTests
{
    private static readonly string Directory = Path.Combine(FindRoot(), "deploy", "kubernetes");
    private readonly List<YamlMappingNode> _documents;

    public KubernetesManifestTests()
    {
        var kustomization = Load("kustomization.yaml").Single();
        _documents = [.. ((YamlSequenceNode)kustomization["resources"]).SelectMany(r => Load(r.ToString()))];
    }

    [Fact]
    public void SilosAndApisAreDeploymentsThatRollOneNewPodInBeforeAnOldOneOut()
    {
        foreach (var name in new[] { "sessions-silo", "sessions-api" })
        {
            var deployment = Resource("Deployment", name);
            var rolling = deployment["spec"]["strategy"]["rollingUpdate"];

            Assert.Equal("0", rolling["maxUnavailable"].ToString());
            Assert.Equal("1", rolling["maxSurge"].ToString());
            Assert.NotNull(Resource("PodDisruptionBudget", name));
        }
    }

    [Fact]
    public void ASiloAdvertisesItsPodIpAndNamesItselfAfterItsPod()
    {
        var environment = Container("sessions-silo")["env"];

        Assert.Equal("status.podIP", Env(environment, "Sessions__Cluster__AdvertisedAddress")["valueFrom"]["fieldRef"]["fieldPath"].ToString());
        Assert.Equal("metadata.name", Env(environment, "Sessions__Cluster__SiloName")["valueFrom"]["fieldRef"]["fieldPath"].ToString());
        Assert.Equal("Silo", Env(environment, "Sessions__Cluster__Mode")["value"].ToString());
    }

    [Fact]
    public void TheGracePeriodOutlastsTheShutdownTimeout()
    {
        var shutdown = int.Parse(Resource("ConfigMap", "sessions-settings")["data"]["DOTNET_SHUTDOWNTIMEOUTSECONDS"].ToString(), CultureInfo.InvariantCulture);
        foreach (var name in new[] { "sessions-silo", "sessions-api" })
        {
            var grace = int.Parse(Resource("Deployment", name)["spec"]["template"]["spec"]["terminationGracePeriodSeconds"].ToString(), CultureInfo.InvariantCulture);
            Assert.True(grace > shutdown, $"{name}: {grace}s grace against a {shutdown}s shutdown");
        }
    }

    [Fact]
    public void TheApiIsProbedOnItsHealthEndpointsAndEveryContainerRequestsResources()
    {
        var api = Container("sessions-api");

        Assert.Equal("/health/ready", api["readinessProbe"]["httpGet"]["path"].ToString());
        Assert.Equal("/health/live", api["livenessProbe"]["httpGet"]["path"].ToString());
        foreach (var name in new[] { "sessions-silo", "sessions-api" })
        {
            var requests = (YamlMappingNode)Container(name)["resources"]["requests"];
            Assert.True(requests.Children.ContainsKey("cpu") && requests.Children.ContainsKey("memory"), name);
            Assert.True(((YamlMappingNode)Container(name)).Children.ContainsKey("readinessProbe"), name);
        }
    }

    [Fact]
    public void SecretsComeOnlyFromSecretsAndTheClusterRunsOverTlsWithReplicaAcks()
    {
        var settings = (YamlMappingNode)Resource("ConfigMap", "sessions-settings")["data"];
        foreach (var name in new[] { "sessions-silo", "sessions-api" })
        {
            foreach (var variable in (YamlSequenceNode)Container(name)["env"])
            {
                var entry = (YamlMappingNode)variable;
                if (System.Text.RegularExpressions.Regex.IsMatch(entry["name"].ToString(), "Secret|HashKey|Password|ConnectionStrings"))
                {
                    Assert.False(entry.Children.ContainsKey("value"), $"{name}: {entry["name"]} is written down");
                    Assert.NotNull(entry["valueFrom"]["secretKeyRef"]);
                }
            }
        }
        Assert.DoesNotContain(settings.Children.Keys, key => System.Text.RegularExpressions.Regex.IsMatch(key.ToString(), "Secret|HashKey|Password"));
        Assert.Equal("/var/run/secrets/sessions/cluster.pfx", settings["Sessions__Cluster__Tls__CertificatePath"].ToString());
        Assert.False(settings.Children.ContainsKey("Sessions__Cluster__AllowPlaintext"));
        Assert.Equal("1", settings["Sessions__Storage__RequireReplicaAcks"].ToString());
    }

    [Fact]
    public void MetricsAreServedOnTheirOwnPortWhichThePublicServiceDoesNotExpose()
    {
        var api = Container("sessions-api");
        var service = Resource("Service", "sessions-api");

        Assert.Equal("9090", Env(api["env"], "Sessions__Metrics__Port")["value"].ToString());
        Assert.All((YamlSequenceNode)service["spec"]["ports"], port => Assert.Equal("http", ((YamlMappingNode)port)["targetPort"].ToString()));
    }

    [Fact]
    public void ImagesArePinnedToAVersion()
    {
        foreach (var name in new[] { "sessions-silo", "sessions-api" })
        {
            Assert.Matches(@":\d+\.\d+\.\d+$", Container(name)["image"].ToString());
        }
    }

    private YamlMappingNode Resource(string kind, string name) =>
        _documents.Single(d => d["kind"].ToString() == kind && d["metadata"]["name"].ToString() == name);

    private YamlMappingNode Container(string deployment) =>
        (YamlMappingNode)((YamlSequenceNode)Resource("Deployment", deployment)["spec"]["template"]["spec"]["containers"]).Single();

    private static YamlMappingNode Env(YamlNode environment, string name) =>
        (YamlMappingNode)((YamlSequenceNode)environment).Single(e => ((YamlMappingNode)e)["name"].ToString() == name);

    private static IEnumerable<YamlMappingNode> Load(string file)
    {
        var yaml = new YamlStream();
        yaml.Load(new StringReader(File.ReadAllText(Path.Combine(Directory, file))));
        return yaml.Documents.Select(d => (YamlMappingNode)d.RootNode);
    }

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
