using System.Text.Json;
using SimClrV2.Sophon.Tests.TestSupport;

namespace SimClrV2.Sophon.Tests.Cli;

public class CliTests
{
    private static (int Code, string Out, string Err) Run(params string[] args) => CliRunner.Run(args);

    [Test]
    public void DefaultRunClassifiesTheShippedImagesWithTheShippedModel()
    {
        using var dir = new TempDir();
        string json = dir.File("out.json");

        (int code, string stdout, string stderr) = Run("classify", "--output", json);

        Assert.That(code, Is.Zero, stderr);
        Assert.That(stdout, Does.Contain("chelsea.png").And.Contain(" cat ").And.Contain("horse.png"));
        Assert.That(stdout, Does.Contain("classified 5 images (0 failed)"));
        foreach (string line in new[] { "decode_time(ms): ", "preprocess_time(ms): ", "inference_time(ms): ", "postprocess_time(ms): " })
        {
            Assert.That(stdout, Does.Match(System.Text.RegularExpressions.Regex.Escape(line) + @"\d+\.\d\d"));
        }

        using JsonDocument doc = JsonDocument.Parse(File.ReadAllText(json));
        Assert.That(doc.RootElement.GetArrayLength(), Is.EqualTo(5));
    }

    [Test]
    public void AModelWithoutAManifestIsAWarningAndTheRunGoesOnWithNumberedClasses()
    {
        using var dir = new TempDir();
        string bare = dir.File("bare.onnx");
        File.Copy(TestData.DefaultModel, bare);

        (int code, string stdout, string stderr) = Run("classify", "--model", bare, "--input", Path.Combine(TestData.SampleImages, "chelsea.png"), "--output", dir.File("r.json"));
        (_, _, string withManifest) = Run("classify", "--input", Path.Combine(TestData.SampleImages, "chelsea.png"), "--output", dir.File("s.json"));

        Assert.That(code, Is.Zero, stderr);
        Assert.That(stderr, Does.Contain("warning: model").And.Contain("has no manifest").And.Contain("bare.manifest.json"));
        Assert.That(stdout, Does.Match(@"chelsea\.png\s+3\s"), "class 3 (cat) reported as a number");
        Assert.That(withManifest, Does.Not.Contain("no manifest"));
    }

    [Test]
    public void TheReferenceHabitsAreAccepted()
    {
        using var dir = new TempDir();
        string chelsea = Path.Combine(TestData.SampleImages, "chelsea.png");

        (int code, string stdout, string stderr) = CliRunner.RunIn(dir.Path, "classify", "--input", chelsea, "--reference-names", "--dev_id", "0");

        Assert.That(code, Is.Zero, stderr);
        Assert.That(File.Exists(Path.Combine(dir.Path, "results", "simclrv2-r18w025-cifar10.onnx_chelsea.png_opencv_python_result.json")), Is.True, stdout);
        Assert.That(stdout, Does.Contain("stage times below: ms per image"));
    }

    [Test]
    public void TheProgressLineGivesTheRateAndTheTimeLeft()
    {
        Assert.That(SimClrV2.Cli.ProgressBar.Describe(1000, 10000, 2.0), Is.EqualTo("1000/10000 images, 500 images/s, 0:18 left"));
        Assert.That(SimClrV2.Cli.ProgressBar.Describe(0, 10000, 0), Is.EqualTo("0/10000 images, 0 images/s, --:-- left"));
    }

    [Test]
    public void DefaultOutputPathFollowsTheReferenceNaming()
    {
        using var dir = new TempDir();
        string images = Path.Combine(dir.Path, "photos");
        TestData.WritePng(images, "x.png", 40, 40, 1);
        string previous = Environment.CurrentDirectory;
        Environment.CurrentDirectory = dir.Path;
        try
        {
            (int code, _, string stderr) = Run("classify", "--input", images, "--quiet");
            Assert.That(code, Is.Zero, stderr);
        }
        finally
        {
            Environment.CurrentDirectory = previous;
        }

        Assert.That(File.Exists(Path.Combine(dir.Path, "results", "simclrv2-r18w025-cifar10.onnx_photos_cpu_onnxruntime_result.json")));
    }

    [Test]
    public void ClassifyThenEvalOnAClassFolderPrintsAccuracyWithThreeDecimals()
    {
        using var dir = new TempDir();
        TestData.WritePng(Path.Combine(dir.Path, "data", "cat"), "1.png", 32, 32, 1);
        TestData.WritePng(Path.Combine(dir.Path, "data", "dog"), "2.png", 32, 32, 2);
        string json = dir.File("r.json");
        Assert.That(Run("classify", "-i", Path.Combine(dir.Path, "data"), "-o", json, "-q").Code, Is.Zero);

        (int code, string stdout, _) = Run("eval", "--results", json, "--labels", Path.Combine(dir.Path, "data"));

        Assert.That(code, Is.Zero);
        Assert.That(stdout, Does.Match(@"^accuracy: \d+\.\d{3}% \(\d/2\)"));
        Assert.That(stdout, Does.Contain("confusion matrix"));
    }

    [TestCase("classify", "--input", "/no/such/folder")]
    [TestCase("classify", "--model", "/no/such/model.onnx")]
    [TestCase("eval", "--results", "/no/such/r.json", "--labels", "/no/such/test_batch")]
    public void MissingFilesGiveOneClearLineAndNonZeroExit(params string[] args)
    {
        (int code, _, string stderr) = Run(args);

        Assert.That(code, Is.Not.Zero);
        Assert.That(stderr.Trim().Split('\n'), Has.Length.EqualTo(1));
        Assert.That(stderr, Does.StartWith("error: ").And.Contain("/no/such/"));
        Assert.That(stderr, Does.Not.Contain("   at "), "no stack trace");
    }

    [Test]
    public void BadArgumentsAreRejectedByTheParser()
    {
        (int code, _, string stderr) = Run("classify", "--batch", "0");

        Assert.That(code, Is.EqualTo(2));
        Assert.That(stderr, Is.EqualTo("error: --batch '0': expected a whole number from 1 to 1024.\nrun 'simclrv2 classify --help' for its options.\n"));
    }

    [Test]
    public void CorruptImageAmongGoodOnesIsAnErrorEntryAndTheRunSucceeds()
    {
        using var dir = new TempDir();
        TestData.WritePng(dir.Path, "good.png", 32, 32, 1);
        File.WriteAllBytes(dir.File("bad.png"), [1, 2, 3]);
        string json = dir.File("r.json");

        (int code, string stdout, _) = Run("classify", "-i", dir.Path, "-o", json);

        Assert.That(code, Is.Zero);
        Assert.That(stdout, Does.Contain("bad.png").And.Contain("ERROR"));
        Assert.That(stdout, Does.Contain("classified 2 images (1 failed)"));
    }

    [Test]
    [Category("Dataset")]
    public void ClassifyingTheCifarPickleWritesTenThousandEntriesAndEvalPrintsTheCardAccuracy()
    {
        string pickle = TestData.RequireShared("data", "cifar10", "test_batch");
        using var dir = new TempDir();
        string json = dir.File("r.json");

        Assert.That(Run("classify", "--input", pickle, "--output", json, "-q").Code, Is.Zero);
        (int code, string stdout, _) = Run("eval", "--results", json, "--labels", pickle);

        using JsonDocument doc = JsonDocument.Parse(File.ReadAllText(json));
        Assert.That(doc.RootElement.GetArrayLength(), Is.EqualTo(10_000));
        Assert.That(code, Is.Zero);
        Assert.That(stdout, Does.StartWith("accuracy: 86.4"));
    }
}
