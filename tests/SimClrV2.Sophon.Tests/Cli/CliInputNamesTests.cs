using System.Text.Json;
using SimClrV2.Sophon.Decode;
using SimClrV2.Sophon.Tests.TestSupport;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Formats.Pbm;
using SixLabors.ImageSharp.PixelFormats;

namespace SimClrV2.Sophon.Tests.Cli;

/// <summary>
/// What a folder walk takes (every type the decoders read, the rest counted and listed), and how
/// results name their inputs: the path under the input folder, so equal file names in different
/// folders never collide; inputs that would still collide are refused before the run.
/// </summary>
public class CliInputNamesTests
{
    private static string[] FileNames(string json)
    {
        using JsonDocument doc = JsonDocument.Parse(File.ReadAllText(json));
        return [.. doc.RootElement.EnumerateArray().Select(e => e.GetProperty("filename").GetString()!)];
    }

    private static void WritePbm(string path, PbmColorType color)
    {
        using var image = new Image<Rgb24>(6, 5, new Rgb24(90, 140, 200));
        image.Save(path, new PbmEncoder { ColorType = color });
    }

    [Test]
    public void EveryExtensionOfEveryConfiguredFormatIsTaken()
    {
        Assert.That(ImageInputs.ImageExtensions, Is.SupersetOf(new[] { ".png", ".jpg", ".jpeg", ".bmp", ".gif", ".tga", ".tif", ".tiff", ".webp", ".pbm", ".pgm", ".ppm" }));
        Assert.That(ImageInputs.ImageExtensions, Is.Unique.And.All.Matches<string>(e => e.StartsWith('.') && e == e.ToLowerInvariant()));
    }

    [Test]
    public void PgmAndPpmAreClassifiedAndOtherFilesAreCountedThenListedWithVerbose()
    {
        using var dir = new TempDir();
        TestData.WritePng(dir.Path, "a.png", 8, 8, 1);
        WritePbm(dir.File("b.pgm"), PbmColorType.Grayscale);
        WritePbm(dir.File("c.ppm"), PbmColorType.Rgb);
        WritePbm(dir.File("d.pbm"), PbmColorType.BlackAndWhite);
        File.WriteAllBytes(dir.File("x.ico"), [0, 0, 1, 0]);
        File.WriteAllBytes(dir.File("y.psd"), [0x38, 0x42, 0x50, 0x53]);
        File.WriteAllBytes(dir.File("z.psd"), [0x38, 0x42, 0x50, 0x53]);
        File.WriteAllText(dir.File("README"), "notes");

        (int code, string stdout, string stderr) = CliRunner.Run("classify", "-i", dir.Path, "-o", dir.File("r.json"));
        (_, _, string verbose) = CliRunner.Run("classify", "-i", dir.Path, "-o", dir.File("r.json"), "--verbose");

        Assert.That(code, Is.Zero, stderr);
        Assert.That(stdout, Does.Contain("classified 4 images (0 failed)"));
        Assert.That(FileNames(dir.File("r.json")), Is.EqualTo(new[] { "a.png", "b.pgm", "c.ppm", "d.pbm" }));
        Assert.That(stderr, Does.Contain("skipped 4 files of other types: .psd 2, (no extension) 1, .ico 1 (--verbose lists them)"));
        Assert.That(stderr, Does.Not.Contain("skipped " + dir.File("x.ico")));
        Assert.That(verbose, Does.Contain("  skipped " + dir.File("x.ico")).And.Contain("  skipped " + dir.File("README")).And.Contain("  skipped " + dir.File("y.psd")));
    }

    [Test]
    public void BenchCountsWhatItSkipsToo()
    {
        using var dir = new TempDir();
        TestData.WritePng(dir.Path, "a.png", 8, 8, 1);
        File.WriteAllBytes(dir.File("x.ico"), [0, 0, 1, 0]);

        (int code, string stdout, string stderr) = CliRunner.Run("bench", "-i", dir.Path, "--output-dir", dir.File("out"));

        Assert.That(code, Is.Zero, stderr);
        Assert.That(stderr, Does.Contain("skipped 1 file of other types: .ico 1"));
        Assert.That(stdout, Does.StartWith("1 image from "));
    }

    [Test]
    public void SameFileNamesInClassFoldersKeepTheirFolderAndEvalMatchesThem()
    {
        using var dir = new TempDir();
        string root = dir.File("dup");
        File.Copy(Path.Combine(TestData.SampleImages, "chelsea.png"), Path.Combine(Directory.CreateDirectory(Path.Combine(root, "cat")).FullName, "001.png"));
        File.Copy(Path.Combine(TestData.SampleImages, "horse.png"), Path.Combine(Directory.CreateDirectory(Path.Combine(root, "horse")).FullName, "001.png"));
        string json = dir.File("r.json");

        (int code, string stdout, string stderr) = CliRunner.Run("classify", "-i", root, "-o", json);
        (int evalCode, string eval, string evalErr) = CliRunner.Run("eval", "-r", json, "-l", root);

        Assert.That(code, Is.Zero, stderr);
        Assert.That(FileNames(json), Is.EqualTo(new[] { "cat/001.png", "horse/001.png" }));
        Assert.That(stdout, Does.Contain("cat/001.png").And.Contain("horse/001.png"));
        Assert.That(evalCode, Is.Zero, evalErr);
        Assert.That(eval, Does.StartWith("accuracy: 100.000% (2/2)"), "both matched by their relative paths (the default model gets both right)");
    }

    [Test]
    public void TwoInputFoldersHoldingTheSameRelativePathAreRefusedNamingBoth()
    {
        using var dir = new TempDir();
        string first = TestData.WritePng(dir.File("a"), "x.png", 8, 8, 1);
        string second = TestData.WritePng(dir.File("b"), "x.png", 8, 8, 2);

        (int code, string stdout, string stderr) = CliRunner.Run("classify", "-i", dir.File("a"), "-i", dir.File("b"), "-o", dir.File("r.json"));

        Assert.That(code, Is.EqualTo(2));
        Assert.That(stderr, Does.StartWith("error: two inputs would both be named 'x.png'").And.Contain(first).And.Contain(second));
        Assert.That(File.Exists(dir.File("r.json")), Is.False, "refused before the run");
        Assert.That(stdout, Is.Empty);
    }

    [Test]
    public void AMissingFileIsNamedAsAnExistingOneWouldBe()
    {
        using var dir = new TempDir();
        string image = TestData.WritePng(dir.File("photos"), "a.png", 8, 8, 1);

        (int code, _, string stderr) = CliRunner.Run("classify", "-i", image, "-i", dir.File("photos/missing.png"), "-o", dir.File("r.json"));
        string[] library = [.. ImageInputs.FromPaths([image, dir.File("photos/missing.png")]).Select(i => i.Name)];

        Assert.That(code, Is.Zero, stderr);
        Assert.That(FileNames(dir.File("r.json")), Is.EqualTo(new[] { "a.png", "missing.png" }));
        Assert.That(library, Is.EqualTo(new[] { "a.png", "missing.png" }));
    }

    [Test]
    public void OneImageIsOneImage()
    {
        using var dir = new TempDir();
        string image = TestData.WritePng(dir.Path, "a.png", 8, 8, 1);

        (_, string stdout, _) = CliRunner.Run("classify", "-i", image, "-o", dir.File("r.json"));

        Assert.That(stdout, Does.Contain("classified 1 image (0 failed)"));
    }

    [Test]
    public void AClassWithNoImagesIsNotApplicableNotNaN()
    {
        using var dir = new TempDir();
        CliWalk.Prepare(dir); // one cat image and its result
        File.WriteAllText(dir.File("r2.json"), """[{"filename": "cat/a.png", "prediction": 5, "score": 0.5}]""");

        (int code, string text, string stderr) = CliRunner.Run("eval", "-r", dir.File("r.json"), "-l", dir.File("in"));
        (_, string json, _) = CliRunner.Run("eval", "-r", dir.File("r.json"), "-l", dir.File("in"), "--format", "json");
        (_, string csv, _) = CliRunner.Run("eval", "-r", dir.File("r.json"), "-l", dir.File("in"), "--format", "csv");
        (int reportCode, _, string reportErr) = CliRunner.Run("report", dir.File("r.json"), dir.File("r2.json"), "-l", dir.File("in"), "-o", dir.File("report.html"));

        Assert.That(code, Is.Zero, stderr);
        Assert.That(text, Does.Contain("\n  cat        100.000%\n").And.Contain("\n  airplane        n/a\n").And.Not.Contain("NaN"));
        using (JsonDocument doc = JsonDocument.Parse(json))
        {
            Assert.That(doc.RootElement.GetProperty("per_class")[0].GetProperty("accuracy").ValueKind, Is.EqualTo(JsonValueKind.Null));
        }

        Assert.That(csv, Does.Contain("\nairplane,0,0,\n"));
        Assert.That(reportCode, Is.Zero, reportErr);
        string html = File.ReadAllText(dir.File("report.html"));
        Assert.That(html, Does.Not.Contain("NaN"));
        Assert.That(html, Does.Contain("<tr class=\"class-diff\"><td>airplane</td><td>n/a</td><td>n/a</td><td class=\"na\">n/a</td></tr>"));
        Assert.That(html, Does.Contain("<tr class=\"class-diff\"><td>cat</td><td>100.00%</td><td>0.00%</td><td class=\"minus\">-100.00</td></tr>"));
    }
}
