using SimClrV2.Sophon.TestSupport;
using SimClrV2.Cli;
using SimClrV2.Sophon.Tests.TestSupport;

namespace SimClrV2.Sophon.Tests.Tpu;

/// <summary>The CLI's SOPHON commands on the emulator; library loading checked in fresh processes.</summary>
public class SophonCliTests : EmulatorTestBase
{
    private static (int Code, string Out, string Err) Run(params string[] args) => CliRunner.Run(args);

    /// <summary>Runs simclrv2 in its own process, so library loading starts from nothing.</summary>
    private static (int Code, string Out, string Err) RunProcess(IDictionary<string, string>? environment, params string[] args)
    {
        ChildProcess.Result result = ChildProcess.Run("simclrv2.dll", TimeSpan.FromMinutes(2), environment, args);
        Assert.That(result.TimedOut, Is.False, "simclrv2 finished");
        return (result.ExitCode, result.Out, result.Err);
    }

    private static string TwoStageModel(TempDir dir)
    {
        File.Copy(TestData.DefaultModel, dir.File("m.onnx"));
        string path = dir.File("two.bmodel");
        EmulatedModels.WriteBModel(path, "# sophon-emulator bmodel 1\nnet=two\nonnx=m.onnx\ninput=input INT8 40\noutput=logits FLOAT16 1\nstage=1x3x32x32 1x10\nstage=4x3x32x32 4x10\n");
        return path;
    }

    [Test]
    public void ClassifyWithABModelWritesTheSophonResultFile()
    {
        using var dir = new TempDir();
        string json = dir.File("r.json");

        (int code, string stdout, string stderr) = Run("classify", "--bmodel", Emulator.Model("int8", 4), "--dev-id", "0", "--sophon-lib", Emulator.Folder, "-o", json);

        Assert.That(code, Is.Zero, stderr);
        Assert.That(stdout, Does.Contain("classified 5 images (0 failed)").And.Contain("chelsea.png").And.Contain("inference_time(ms): "));
        Assert.That(File.Exists(json));
    }

    [Test]
    public void ClassifyOnSeveralDevicesRunsThePoolWithEitherListSyntax()
    {
        Emulator.SetDevices(2);
        using var dir = new TempDir();

        (int one, string oneOut, string oneErr) = Run("classify", "--bmodel", Emulator.Model("int8", 4), "--sophon-lib", Emulator.Folder, "-o", dir.File("one.json"));
        (int list, string listOut, string listErr) = Run("classify", "--bmodel", Emulator.Model("int8", 4), "--dev-id", "0,1", "--sophon-lib", Emulator.Folder, "-o", dir.File("list.json"));
        (int repeated, string repeatedOut, string repeatedErr) = Run("classify", "--bmodel", Emulator.Model("int8", 4), "--dev-id", "1", "--dev_id", "0", "--sophon-lib", Emulator.Folder, "-o", dir.File("repeated.json"));

        Assert.That((one, list, repeated), Is.EqualTo((0, 0, 0)), oneErr + listErr + repeatedErr);
        Assert.That(oneOut, Does.Contain("on device 0;"));
        Assert.That(listOut, Does.Contain("classified 5 images (0 failed)").And.Contain("on devices 0,1;"));
        Assert.That(repeatedOut, Does.Contain("on devices 1,0;"));
        string Predictions(string file) => string.Join("\n", File.ReadAllLines(dir.File(file)).Where(l => !l.Contains("_time", StringComparison.Ordinal) && !l.Contains("\"decode\"", StringComparison.Ordinal) && !l.Contains("\"preprocess\"", StringComparison.Ordinal) && !l.Contains("\"inference\"", StringComparison.Ordinal) && !l.Contains("\"postprocess\"", StringComparison.Ordinal)));
        Assert.That(Predictions("list.json"), Is.EqualTo(Predictions("one.json")), "the pool gives the single device's results, in order");
        Assert.That(Predictions("repeated.json"), Is.EqualTo(Predictions("one.json")));
    }

    [Test]
    public void ADeviceThatIsNotThereIsOneErrorLineNamingIt()
    {
        Emulator.SetDevices(1);

        (int code, string stdout, string stderr) = Run("classify", "--bmodel", Emulator.Model("int8", 4), "--dev-id", "0,1", "--sophon-lib", Emulator.Folder, "-o", "-");

        Assert.That(code, Is.Not.Zero);
        Assert.That(stderr.Split('\n').Count(l => l.StartsWith("error:", StringComparison.Ordinal)), Is.EqualTo(1), stderr);
        Assert.That(stderr, Does.Contain("1"));
        Assert.That(stdout, Is.Empty);
    }

    [Test]
    public void BenchNamesBModelsAsTheReferenceDoes()
    {
        using var dir = new TempDir();
        string data = Cli.BenchCommandTests.CifarBin(dir, 8);

        (int code, string stdout, string stderr) = Run("bench", "-i", data, "--bmodel", Emulator.Model("int8", 4), "--sophon-lib", Emulator.Folder, "--dev_id", "0", "--layout", "reference", "--output-dir", dir.File("out"));

        Assert.That(code, Is.Zero, stderr);
        Assert.That(stdout, Does.Match(@"\| BM1684X \| simclrv2 \(\.NET\) \| BM1684X/simclrv2_int8_4b\.bmodel \| \d+\.\d\d \|\n"));
        Assert.That(stdout, Does.Match(@"\| BM1684X/simclrv2_int8_4b\.bmodel \| \d+\.\d\d \|\n"));
    }

    [Test]
    public void InspectPrintsNetworksStagesDtypesAndScales()
    {
        using var dir = new TempDir();

        (int code, string stdout, string stderr) = Run("inspect", TwoStageModel(dir), "--sophon-lib", Emulator.Folder);

        Assert.That(code, Is.Zero, stderr);
        Assert.That(stdout, Does.Contain("network 'two'").And.Contain("input 'input': Int8, scale 40").And.Contain("output 'logits': Float16"));
        Assert.That(stdout, Does.Contain("stage 0: batch 1, inputs [1, 3, 32, 32], outputs [1, 10]"));
        Assert.That(stdout, Does.Contain("stage 1: batch 4, inputs [4, 3, 32, 32], outputs [4, 10]"));
    }

    [TestCase("")]
    [TestCase("legacy")]
    public void StagesAreReadRightWithBothStageLayouts(string subfolder)
    {
        using var dir = new TempDir();
        string libraries = Path.Combine(Emulator.Folder, subfolder);

        (int code, string stdout, string stderr) = RunProcess(null, "inspect", TwoStageModel(dir), "--sophon-lib", libraries);

        Assert.That(code, Is.Zero, stderr);
        Assert.That(stdout, Does.Contain("stage 1: batch 4, inputs [4, 3, 32, 32], outputs [4, 10]"));
    }

    [Test]
    public void WithoutLibsophonTheErrorListsEveryPathTried()
    {
        using var dir = new TempDir();

        (int code, string stdout, string stderr) = RunProcess(
            new Dictionary<string, string> { ["SIMCLRV2_SOPHON_LIB_DIR"] = dir.Path },
            "classify", "--bmodel", Emulator.Model("fp32", 1));

        Assert.That(code, Is.Not.Zero);
        Assert.That(stdout, Is.Empty);
        Assert.That(stderr, Does.StartWith("error: libsophon's libbmlib.so.0 could not be loaded")
            .And.Contain(Path.Combine(dir.Path, "libbmlib.so.0") + ": no such file")
            .And.Contain("/opt/sophon/libsophon-current/lib/libbmlib.so.0")
            .And.Contain("SIMCLRV2_SOPHON_LIB_DIR"));
        Assert.That(stderr, Does.Not.Contain("   at "), "no stack trace");
    }
}
