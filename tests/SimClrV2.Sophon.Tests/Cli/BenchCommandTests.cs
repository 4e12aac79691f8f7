using System.Text.RegularExpressions;
using SimClrV2.Sophon.Tests.TestSupport;

namespace SimClrV2.Sophon.Tests.Cli;

/// <summary><c>simclrv2 bench</c>: the reference's three tables (accuracy, calculate time, program times) as markdown and HTML, in both layouts.</summary>
public class BenchCommandTests
{
    /// <summary>A small CIFAR-10 binary file: random images, labels i % 10.</summary>
    internal static string CifarBin(TempDir dir, int count) => TestData.WriteCifarBinary(dir.File("test_batch.bin"), count, seed: 3);

    [Test]
    public void BenchPrintsTheThreeTablesWithTheAccuracyEvalComputesAndWritesThemBeside()
    {
        using var dir = new TempDir();
        string data = CifarBin(dir, 48);

        (int code, string stdout, string stderr) = CliRunner.Run("bench", "-i", data, "--output-dir", dir.File("out"));
        (_, _, _) = CliRunner.Run("classify", "-i", data, "-o", dir.File("r.json"), "-q");
        (_, string eval, _) = CliRunner.Run("eval", "-r", dir.File("r.json"), "-l", data, "--format", "csv");

        Assert.That(code, Is.Zero, stderr);
        Assert.That(stdout, Does.StartWith("48 images from test_batch.bin; times in ms per image"));
        Assert.That(stdout, Does.Contain("| model | engine | batch | ACC (%) | failed |").And.Contain("| model | engine | batch | calculate time (ms) |").And.Contain("| model | decode | preprocess | inference | postprocess |"));
        string accuracy = Regex.Match(stdout, @"\| simclrv2-r18w025-cifar10\.onnx \| onnxruntime \| 4 \| (?<acc>[0-9.]+) \| 0 \|").Groups["acc"].Value;
        string evalAccuracy = Regex.Match(eval, @"\nall,\d+,48,(?<acc>[0-9.]+)").Groups["acc"].Value;
        Assert.That(accuracy, Is.Not.Empty, stdout);
        Assert.That(double.Parse(accuracy, System.Globalization.CultureInfo.InvariantCulture), Is.EqualTo(double.Parse(evalAccuracy, System.Globalization.CultureInfo.InvariantCulture)).Within(0.005), "bench's ACC is eval's accuracy");
        Assert.That(File.ReadAllText(dir.File("out/bench.md")), Is.EqualTo(stdout));
        string html = File.ReadAllText(dir.File("out/bench.html"));
        Assert.That(Regex.Matches(html, "<table class=\"bench\"").Count, Is.EqualTo(3));
        Assert.That(Regex.Matches(html, "<rect class=\"stage\"").Count, Is.EqualTo(4), "one stacked bar of four stages per model");
    }

    [Test]
    public void TheReferenceLayoutHasItsColumnsAndTwoDecimals()
    {
        using var dir = new TempDir();
        string data = CifarBin(dir, 12);

        (int code, string stdout, string stderr) = CliRunner.Run("bench", "-i", data, "--layout", "reference", "--output-dir", dir.File("out"));

        Assert.That(code, Is.Zero, stderr);
        Assert.That(stdout, Does.Contain("| platform | program | model | ACC(%) |").And.Contain("| model | calculate time(ms) |").And.Contain("| platform | program | model | preprocess_time | inference_time | postprocess_time |"));
        Assert.That(stdout, Does.Match(@"\| CPU \(ONNX Runtime\) \| simclrv2 \(\.NET\) \| simclrv2-r18w025-cifar10\.onnx \| \d+\.\d\d \|\n"));
        Assert.That(stdout, Does.Match(@"\| simclrv2-r18w025-cifar10\.onnx \| \d+\.\d\d \|\n"));
    }
}
