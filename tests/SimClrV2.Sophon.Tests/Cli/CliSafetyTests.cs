using System.Text.Json;
using SimClrV2.Sophon.Tests.TestSupport;

namespace SimClrV2.Sophon.Tests.Cli;

/// <summary>The CLI never destroys what it reads, keeps going past one bad --input, bounds its arguments and never prints raw control characters.</summary>
public class CliSafetyTests
{
    private static (int Code, string Out, string Err) Run(params string[] args) => CliRunner.Run(args);

    private static byte[] Snapshot(string path) => File.ReadAllBytes(path);

    [Test]
    public void AnOutputThatIsAnInputImageIsRefusedAndTheImageKept()
    {
        using var dir = new TempDir();
        string image = TestData.WritePng(dir.Path, "a.png", 8, 8, 1);
        byte[] before = Snapshot(image);

        (int code, _, string stderr) = Run("classify", "--input", image, "--output", image);

        Assert.That(code, Is.EqualTo(2));
        Assert.That(stderr, Does.Contain("which this run reads"));
        Assert.That(Snapshot(image), Is.EqualTo(before));
    }

    [Test]
    public void AnOutputThatIsAnImageInsideTheInputFolderOrALinkToItIsRefused()
    {
        using var dir = new TempDir();
        string image = TestData.WritePng(Path.Combine(dir.Path, "in", "sub"), "b.png", 8, 8, 2);
        byte[] before = Snapshot(image);
        string link = dir.File("link.json");
        File.CreateSymbolicLink(link, image);

        (int code1, _, string err1) = Run("classify", "--input", Path.Combine(dir.Path, "in"), "--output", image);
        (int code2, _, string err2) = Run("classify", "--input", Path.Combine(dir.Path, "in"), "--output", link);

        Assert.That((code1, code2), Is.EqualTo((2, 2)), err1 + err2);
        Assert.That(Snapshot(image), Is.EqualTo(before));
    }

    [Test]
    public void AnOutputThatIsTheModelOrTheCifarFileIsRefused()
    {
        using var dir = new TempDir();
        string model = dir.File("m.onnx");
        File.Copy(TestData.DefaultModel, model);
        var bin = new byte[3073];
        File.WriteAllBytes(dir.File("t.bin"), bin);

        (int code1, _, _) = Run("classify", "--model", model, "--output", model);
        (int code2, _, _) = Run("classify", "--input", dir.File("t.bin"), "--output", dir.File("t.bin"));

        Assert.That((code1, code2), Is.EqualTo((2, 2)));
        Assert.That(Snapshot(model), Is.EqualTo(Snapshot(TestData.DefaultModel)));
        Assert.That(Snapshot(dir.File("t.bin")), Is.EqualTo(bin));
    }

    [Test]
    public void ResultsAreWrittenWholeOrNotAtAll()
    {
        using var dir = new TempDir();
        string json = dir.File("r.json");
        File.WriteAllText(json, "previous");

        (int code, _, string stderr) = Run("classify", "--output", json);

        Assert.That(code, Is.Zero, stderr);
        using (JsonDocument doc = JsonDocument.Parse(File.ReadAllText(json)))
        {
            Assert.That(doc.RootElement.GetArrayLength(), Is.EqualTo(5));
        }

        Assert.That(Directory.GetFiles(dir.Path), Is.EqualTo(new[] { json }), "no temporary file is left");
    }

    [Test]
    public void OneMissingInputAmongSeveralIsAnErrorEntryNotTheEndOfTheRun()
    {
        using var dir = new TempDir();
        string image = TestData.WritePng(dir.Path, "a.png", 8, 8, 1);
        File.WriteAllBytes(dir.File("fake.png"), [0x80, 0x02, 0x7D, 0x71, 0x00]);
        string json = dir.File("r.json");

        (int code, string stdout, string stderr) = Run("classify", "--input", image, "--input", dir.File("missing.png"), "--input", dir.File("fake.png"), "-o", json);

        Assert.That(code, Is.Zero, stderr);
        Assert.That(stderr, Does.Contain("warning:").And.Contain("missing.png"));
        Assert.That(stdout, Does.Contain("classified 3 images (2 failed)"));
        using JsonDocument doc = JsonDocument.Parse(File.ReadAllText(json));
        Assert.That(doc.RootElement.EnumerateArray().Select(e => e.GetProperty("prediction").GetInt32() >= 0), Is.EqualTo(new[] { true, false, false }));
    }

    [TestCase("--batch", "174763", "--batch '174763': expected a whole number from 1 to 1024.")]
    [TestCase("--threads", "100000", "--threads '100000': expected 0 (one per processor) to")]
    public void OutOfRangeArgumentsAreOneErrorLine(string option, string value, string message)
    {
        (int code, _, string stderr) = Run("classify", option, value);

        Assert.That(code, Is.EqualTo(2));
        Assert.That(stderr, Does.StartWith("error: " + message));
        Assert.That(stderr, Does.Not.Contain("Usage:").And.Not.Contain("Description:"), "no help dump");
    }

    [Test]
    public void BatchWithABModelIsRefusedNotIgnored()
    {
        (int code, _, string stderr) = Run("classify", "--bmodel", "x.bmodel", "--batch", "8");

        Assert.That(code, Is.EqualTo(2));
        Assert.That(stderr, Does.Contain("--batch does not apply with --bmodel"));
    }

    [Test]
    public void AFolderAsTheModelSaysItIsAFolder()
    {
        using var dir = new TempDir();

        (int code, _, string stderr) = Run("classify", "--model", dir.Path);

        Assert.That(code, Is.EqualTo(2));
        Assert.That(stderr, Does.Contain("is a folder; pass the path of the .onnx file"));
    }

    [Test]
    public void ControlCharactersInFileNamesAreEscapedOnTheConsole()
    {
        using var dir = new TempDir();
        string image = TestData.WritePng(dir.Path, "a\u001b[31mred.png", 8, 8, 1);

        (int code, string stdout, string stderr) = Run("classify", "--input", image, "-o", dir.File("r.json"));

        Assert.That(code, Is.Zero, stderr);
        Assert.That(stdout.Contains('\u001b', StringComparison.Ordinal), Is.False, "no raw ESC reaches the terminal");
        Assert.That(stdout, Does.Contain("a\\x1B[31mred.png"));
    }
}
