using SimClrV2.Sophon.Tests.TestSupport;
using YamlDotNet.RepresentationModel;

namespace SimClrV2.Sophon.Tests.Worker;

/// <summary>The worker's deployment files: the YAML parses and says what production needs; the Dockerfile's publish runs here and gives what the image runs.</summary>
public class DeploymentTests
{
    private static string Deploy => Path.Combine(TestData.RepoRoot, "samples", "SimClrV2.Worker", "deploy");

    private static IReadOnlyList<YamlMappingNode> Documents(string path)
    {
        var yaml = new YamlStream();
        using (var reader = new StreamReader(path))
        {
            yaml.Load(reader);
        }

        return [.. yaml.Documents.Select(d => (YamlMappingNode)d.RootNode)];
    }

    private static YamlNode At(YamlNode node, params string[] path) =>
        path.Aggregate(node, (n, key) => n is YamlMappingNode m && m.Children.TryGetValue(new YamlScalarNode(key), out YamlNode? child)
            ? child
            : throw new AssertionException($"no '{key}' in the YAML at {string.Join('.', path)}"));

    private static string Text(YamlNode node, params string[] path) => ((YamlScalarNode)At(node, path)).Value ?? string.Empty;

    [Test]
    public void ComposeRestartsWorkersAndPersistsAPasswordProtectedRedis()
    {
        YamlMappingNode compose = Documents(Path.Combine(Deploy, "compose.yaml")).Single();
        string[] redisCommand = [.. ((YamlSequenceNode)At(compose, "services", "redis", "command")).Select(n => ((YamlScalarNode)n).Value!)];

        Assert.That(Text(compose, "services", "worker", "restart"), Is.EqualTo("unless-stopped"));
        Assert.That(Text(compose, "services", "redis", "restart"), Is.EqualTo("unless-stopped"));
        Assert.That(string.Join(' ', redisCommand), Does.Contain("--appendonly yes").And.Contain("--requirepass"));
        Assert.That(((YamlSequenceNode)At(compose, "services", "redis", "volumes")).Select(n => ((YamlScalarNode)n).Value), Has.Some.StartsWith("redis-data:/data"));
        Assert.That(Text(compose, "services", "worker", "environment", "Worker__Redis"), Does.StartWith("redis:6379,password="));
        Assert.That(Text(compose, "services", "worker", "stop_grace_period"), Is.EqualTo("2m"));
    }

    [Test]
    public void KubernetesHasRedisWithItsServiceAndWorkersWithProbesLimitsAndAGracePeriod()
    {
        IReadOnlyList<YamlMappingNode> redis = Documents(Path.Combine(Deploy, "kubernetes", "redis.yaml"));
        YamlMappingNode worker = Documents(Path.Combine(Deploy, "kubernetes", "worker.yaml")).Single();

        Assert.That(redis.Select(d => Text(d, "kind")), Is.EquivalentTo(new[] { "Service", "StatefulSet" }));
        YamlMappingNode service = redis.Single(d => Text(d, "kind") == "Service");
        YamlMappingNode statefulSet = redis.Single(d => Text(d, "kind") == "StatefulSet");
        YamlNode redisContainer = ((YamlSequenceNode)At(statefulSet, "spec", "template", "spec", "containers"))[0];
        Assert.That(string.Join(' ', ((YamlSequenceNode)At(redisContainer, "args")).Select(n => ((YamlScalarNode)n).Value)), Does.Contain("--appendonly yes"));
        Assert.That(((YamlSequenceNode)At(statefulSet, "spec", "volumeClaimTemplates")).Children, Has.Count.EqualTo(1));

        YamlNode container = ((YamlSequenceNode)At(worker, "spec", "template", "spec", "containers"))[0];
        string redisAddress = ((YamlSequenceNode)At(container, "env")).Cast<YamlMappingNode>().Single(e => Text(e, "name") == "Worker__Redis").Children[new YamlScalarNode("value")].ToString();
        Assert.That(redisAddress, Does.StartWith(Text(service, "metadata", "name") + ":6379"), "the workers connect to the Service the file defines");
        Assert.That((Text(container, "livenessProbe", "httpGet", "path"), Text(container, "readinessProbe", "httpGet", "path")), Is.EqualTo(("/healthz", "/readyz")));
        Assert.That(Text(container, "resources", "limits", "memory"), Is.Not.Empty);
        Assert.That(int.Parse(Text(worker, "spec", "template", "spec", "terminationGracePeriodSeconds"), System.Globalization.CultureInfo.InvariantCulture), Is.GreaterThanOrEqualTo(60));
    }

    [Test]
    [CancelAfter(600_000)]
    public void TheDockerfilesPublishGivesTheWorkerItsModelAndAProbeAndRunsAsANonRootUser()
    {
        string dockerfile = File.ReadAllText(Path.Combine(TestData.RepoRoot, "samples", "SimClrV2.Worker", "Dockerfile"));
        string publish = dockerfile.Split('\n').Single(l => l.StartsWith("RUN dotnet publish ", StringComparison.Ordinal))["RUN ".Length..];
        using var dir = new TempDir();
        string[] words = publish.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        int o = Array.IndexOf(words, "-o");
        words[o + 1] = dir.File("app");

        ChildProcess.Result result = ChildProcess.RunProgram(words[0], words[1..].Select(w => w.StartsWith("samples/", StringComparison.Ordinal) ? Path.Combine(TestData.RepoRoot, w) : w), TimeSpan.FromMinutes(9));

        Assert.That(result.ExitCode, Is.Zero, result.Out + result.Err);
        Assert.That(dockerfile, Does.Contain("\nUSER app\n").And.Contain("ENTRYPOINT [\"dotnet\", \"simclrv2-worker.dll\"]"));
        Assert.That(File.Exists(dir.File("app/simclrv2-worker.dll")) && File.Exists(dir.File("app/SimClrV2.Sophon.Models.Cifar10.dll")) && File.Exists(dir.File("app/appsettings.json")), Is.True, "the worker, the default model and its settings");
        ChildProcess.Result probe = ChildProcess.RunProgram("dotnet", [dir.File("app/simclrv2-worker.dll"), "probe", $"http://127.0.0.1:{RedisHost.FreePort()}/healthz"], TimeSpan.FromMinutes(1));
        Assert.That(probe.ExitCode, Is.EqualTo(1), "the HEALTHCHECK's probe fails when nothing answers");
    }
}
