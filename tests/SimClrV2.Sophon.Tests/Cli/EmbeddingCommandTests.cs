using System.Buffers.Binary;
using System.Diagnostics;
using System.Numerics.Tensors;
using System.Text;
using SimClrV2.Sophon.Decode.Cifar;
using SimClrV2.Sophon.Tests.TestSupport;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;
using SixLabors.ImageSharp.Processing;

namespace SimClrV2.Sophon.Tests.Cli;

/// <summary>simclrv2 embed, index, knn and similar: the table of the embeddings issue, reproduced by the commands.</summary>
public class EmbeddingCommandTests
{
    private static (int Code, string Out, string Err) Run(params string[] args) => CliRunner.Run(args);

    [Test]
    public void EmbedWritesANumpyMatrixOfUnitRowsAndTheNamesInOrder()
    {
        using var dir = new TempDir();
        string npy = dir.File("vectors.npy");

        (int code, string stdout, string stderr) = Run("embed", "--input", TestData.SampleImages, "--output", npy);

        Assert.That(code, Is.Zero, stderr);
        Assert.That(stdout, Does.Contain("embedded 5 inputs (0 failed) with 'projection' [128]"));
        byte[] bytes = File.ReadAllBytes(npy);
        int headerLength = BinaryPrimitives.ReadUInt16LittleEndian(bytes.AsSpan(8));
        string header = Encoding.ASCII.GetString(bytes, 10, headerLength);
        Assert.That(bytes[..8], Is.EqualTo(new byte[] { 0x93, (byte)'N', (byte)'U', (byte)'M', (byte)'P', (byte)'Y', 1, 0 }));
        Assert.That((10 + headerLength) % 64, Is.Zero, "the data starts on a 64-byte boundary");
        Assert.That(header, Does.Contain("'descr': '<f4'").And.Contain("'shape': (5, 128)").And.EndWith("\n"));
        float[] rows = new float[5 * 128];
        Buffer.BlockCopy(bytes, 10 + headerLength, rows, 0, rows.Length * 4);
        Assert.That(Enumerable.Range(0, 5).Select(r => TensorPrimitives.Norm(rows.AsSpan(r * 128, 128))), Is.All.EqualTo(1f).Within(1e-5f));
        Assert.That(File.ReadAllLines(dir.File("vectors.names.txt")), Is.EqualTo(new[] { "astronaut.png", "chelsea.png", "coffee.png", "horse.png", "rocket.jpg" }));
        if (NumpyReads(npy) is { } numpy)
        {
            Assert.That(numpy, Is.EqualTo("(5, 128) float32"), "NumPy itself reads the file");
        }
    }

    [TestCase("projection", 200, "86.06% (4303/5000)")]
    [TestCase("projection", 20, "86.00% (4300/5000)")]
    [TestCase("projection", 1, "81.66% (4083/5000)")]
    [TestCase("h", 200, "85.54% (4277/5000)")]
    [TestCase("h", 20, "85.88% (4294/5000)")]
    [TestCase("h", 1, "80.94% (4047/5000)")]
    public void KnnOnTheAlternateSplitOfTheCifarTestSetGivesTheTablesFigures(string embedding, int k, string expected)
    {
        string pickle = TestData.RequireShared("data", "cifar10", "test_batch");

        (int code, string stdout, string stderr) = Run("knn", "--input", pickle, "--split", "alternate", "--embedding", embedding, "--k", k.ToString(System.Globalization.CultureInfo.InvariantCulture));

        Assert.That(code, Is.Zero, stderr);
        Assert.That(stdout, Does.StartWith($"knn accuracy: {expected}\n"));
        Assert.That(stdout.Split('\n').Count(l => l.StartsWith("  ", StringComparison.Ordinal)), Is.EqualTo(10), "one line per class");
    }

    // The issue's k-shot figures came from one NumPy generator, np.random.default_rng(0), drawing 5
    // draws of 1, then 5, then 10 images per class (classes in order) for each embedding; the tool
    // draws as NumPy does, so one run with --shots 1,5,10 picks the same images. (Here the figures
    // agree to the last digit; the tolerance leaves room for a few borderline queries elsewhere.)
    [TestCase("h", new[] { 58.47, 81.34, 82.76 })]
    [TestCase("projection", new[] { 70.09, 84.02, 84.67 })]
    public void FewShotPrototypesDrawnAsNumpyDrawsThemGiveTheTablesFigures(string embedding, double[] expected)
    {
        string pickle = TestData.RequireShared("data", "cifar10", "test_batch");

        (int code, string stdout, string stderr) = Run("knn", "--input", pickle, "--split", "alternate", "--embedding", embedding, "--mode", "prototype", "--shots", "1,5,10");

        Assert.That(code, Is.Zero, stderr);
        System.Text.RegularExpressions.Match[] lines = System.Text.RegularExpressions.Regex.Matches(stdout, @"^prototype accuracy: ([\d.]+)% \(\d+/25000, 5 draws of (\d+) per class\)$", System.Text.RegularExpressions.RegexOptions.Multiline).ToArray();
        Assert.That(lines.Select(m => m.Groups[2].Value), Is.EqualTo(new[] { "1", "5", "10" }), stdout);
        Assert.That(lines.Select(m => double.Parse(m.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture)), Is.EqualTo(expected).Within(0.02), stdout);
        Assert.That(stdout.Split('\n').Count(l => l.StartsWith("  ", StringComparison.Ordinal)), Is.EqualTo(30), "a line per class for each count");
    }

    [Test]
    public void KnnOnAnInt8BModelStaysWithinHalfAPointOfTheOnnxModel()
    {
        Emulator.Require();
        string pickle = TestData.RequireShared("data", "cifar10", "test_batch");

        (int code, string stdout, string stderr) = Run("knn", "--bmodel", Emulator.Model("int8", 4), "--sophon-lib", Emulator.Folder, "--input", pickle, "--split", "alternate");

        Assert.That(code, Is.Zero, stderr);
        TestContext.Out.WriteLine(stdout.Split('\n')[0]);
        double accuracy = double.Parse(System.Text.RegularExpressions.Regex.Match(stdout, @"^knn accuracy: ([\d.]+)%").Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);
        Assert.That(accuracy, Is.EqualTo(86.06).Within(0.5));
    }

    [Test]
    public void TenShotsTeachAClassTheModelWasNeverTrainedOn()
    {
        using var dir = new TempDir();
        (string support, string query) = FewShotFolders(dir.Path, shots: 10, queries: 20);

        (int code, string stdout, string stderr) = Run("knn", "--support", support, "--query", query, "--mode", "prototype");
        (int indexCode, string indexOut, string indexErr) = Run("index", "--input", support, "--output", dir.File("index.bin"));
        (int similarCode, string similar, string similarErr) = Run("similar", "--index", dir.File("index.bin"), "--input", Directory.GetFiles(Path.Combine(query, "coffee")).Order(StringComparer.Ordinal).First(), "--top", "5");

        TestContext.Out.WriteLine(stdout + indexOut + similar);
        Assert.That((code, indexCode, similarCode), Is.EqualTo((0, 0, 0)), stderr + indexErr + similarErr);
        Assert.That(PerClass(stdout)["coffee"], Is.GreaterThanOrEqualTo(0.9), "the new class is recognised");
        Assert.That(indexOut, Does.Contain("index: 110 images of 11 classes, 'projection' [128], model simclrv2-r18w025-cifar10"));
        Assert.That(similar.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1]), Is.All.EqualTo("coffee"), "its nearest support images are the coffee shots");
    }

    [Test]
    public void AnIndexOfNShotsKeepsThatManyPerClassAndItsSeedDecidesWhich()
    {
        using var dir = new TempDir();
        (string support, _) = FewShotFolders(dir.Path, shots: 10, queries: 1);

        (int code, string stdout, string stderr) = Run("index", "--input", support, "--shots", "3", "--seed", "4", "--output", dir.File("a.bin"));
        Assert.That(code, Is.Zero, stderr);
        Assert.That(Run("index", "--input", support, "--shots", "3", "--seed", "4", "--output", dir.File("b.bin")).Code, Is.Zero);
        Assert.That(Run("index", "--input", support, "--shots", "3", "--seed", "5", "--output", dir.File("c.bin")).Code, Is.Zero);

        Assert.That(stdout, Does.Contain("index: 33 images of 11 classes"));
        Assert.That(File.ReadAllBytes(dir.File("b.bin")), Is.EqualTo(File.ReadAllBytes(dir.File("a.bin"))), "the same seed, the same images");
        Assert.That(File.ReadAllBytes(dir.File("c.bin")), Is.Not.EqualTo(File.ReadAllBytes(dir.File("a.bin"))), "another seed, other images");
    }

    [Test]
    public void ClassifyWithAKnnIndexNamesTheNewClassAndWritesEachImagesSimilarity()
    {
        using var dir = new TempDir();
        (string support, string query) = FewShotFolders(dir.Path, shots: 10, queries: 5);
        Assert.That(Run("index", "--input", support, "--output", dir.File("index.bin")).Code, Is.Zero);

        (int code, string stdout, string stderr) = Run("classify", "--knn", dir.File("index.bin"), "--input", Path.Combine(query, "coffee"), "--output", dir.File("r.json"));

        Assert.That(code, Is.Zero, stderr);
        string[] lines = [.. stdout.Split('\n').Where(l => l.StartsWith("coffee", StringComparison.Ordinal))];
        Assert.That(lines, Has.Length.EqualTo(5));
        Assert.That(lines, Is.All.Match(@"^coffee\d\d\.png\s+coffee\s+\d\.\d{4}  similarity 0\.\d{4}$"));
        using var json = System.Text.Json.JsonDocument.Parse(File.ReadAllText(dir.File("r.json")));
        Assert.That(json.RootElement.EnumerateArray().Select(e => e.GetProperty("similarity").GetDouble()), Is.All.InRange(0.5, 1.0));
    }

    [Test]
    public void AnIndexOfAnotherModelIsRefusedNotCompared()
    {
        using var dir = new TempDir();
        (string support, _) = FewShotFolders(dir.Path, shots: 2, queries: 1);
        Assert.That(Run("index", "--input", support, "--output", dir.File("index.bin")).Code, Is.Zero);
        string other = dir.File("other.onnx");
        File.Copy(TestData.DefaultModel, other);
        File.Copy(Path.ChangeExtension(TestData.DefaultModel, ".manifest.json"), dir.File("other.manifest.json"));
        File.WriteAllText(dir.File("other.manifest.json"), File.ReadAllText(dir.File("other.manifest.json")).Replace("\"name\": \"simclrv2-r18w025-cifar10\"", "\"name\": \"other\"", StringComparison.Ordinal));

        (int code, _, string stderr) = Run("similar", "--index", dir.File("index.bin"), "--model", other, "--input", Path.Combine(TestData.SampleImages, "horse.png"));

        Assert.That(code, Is.Not.Zero);
        Assert.That(stderr, Does.Contain("built with model 'simclrv2-r18w025-cifar10', not 'other'"));
    }

    [Test]
    public void KnnNeedsEitherAPairOrAnInputWithASplit()
    {
        (int code, _, string stderr) = Run("knn", "--support", TestData.SampleImages);

        Assert.That(code, Is.Not.Zero);
        Assert.That(stderr, Does.Contain("Give --support and --query, or --input with --split alternate."));
    }

    /// <summary>
    /// Support and query folders: 10 CIFAR-10 classes from the test set (the first images of each)
    /// and "coffee", a class CIFAR-10 does not have: random crops of the shipped coffee photo.
    /// </summary>
    private static (string Support, string Query) FewShotFolders(string root, int shots, int queries)
    {
        string pickle = TestData.RequireShared("data", "cifar10", "test_batch");
        string support = Path.Combine(root, "support"), query = Path.Combine(root, "query");
        var taken = new Dictionary<int, int>();
        CifarDataset cifar = CifarDataset.ReadPickle(pickle);
        foreach (var (input, index) in cifar.ToInputs().Select((input, index) => (input, index)))
        {
            int label = input.LabelIndex!.Value;
            int n = taken.GetValueOrDefault(label);
            if (n >= shots + queries)
            {
                continue;
            }

            taken[label] = n + 1;
            string folder = Path.Combine(n < shots ? support : query, TestData.Cifar10Labels[label]);
            Directory.CreateDirectory(folder);
            using Image<Rgb24> image = input.DecodeToImage();
            image.SaveAsPng(Path.Combine(folder, $"{index:D5}.png"));
        }

        using Image<Rgb24> coffee = Image.Load<Rgb24>(Path.Combine(TestData.SampleImages, "coffee.png"));
        var random = new Random(3);
        for (int i = 0; i < shots + queries; i++)
        {
            string folder = Path.Combine(i < shots ? support : query, "coffee");
            Directory.CreateDirectory(folder);
            int side = (int)(Math.Min(coffee.Width, coffee.Height) * (0.6 + (0.3 * random.NextDouble())));
            var crop = new Rectangle(random.Next(coffee.Width - side + 1), random.Next(coffee.Height - side + 1), side, side);
            using Image<Rgb24> shot = coffee.Clone(c => c.Crop(crop).Resize(64, 64));
            shot.SaveAsPng(Path.Combine(folder, $"coffee{i:D2}.png"));
        }

        return (support, query);
    }

    private static Dictionary<string, double> PerClass(string knnOutput) =>
        knnOutput.Split('\n').Where(l => l.StartsWith("  ", StringComparison.Ordinal))
            .Select(l => l.Split(' ', StringSplitOptions.RemoveEmptyEntries))
            .ToDictionary(p => p[0], p => double.Parse(p[1].TrimEnd('%'), System.Globalization.CultureInfo.InvariantCulture) / 100);

    /// <summary>The shape and type NumPy reads from the file, or null where Python with NumPy is absent.</summary>
    private static string? NumpyReads(string npy)
    {
        if (!File.Exists("/usr/bin/python3"))
        {
            return null;
        }

        var start = new ProcessStartInfo("/usr/bin/python3", ["-c", "import sys, numpy; a = numpy.load(sys.argv[1]); print(a.shape, a.dtype)", npy]) { RedirectStandardOutput = true, RedirectStandardError = true };
        using Process process = Process.Start(start)!;
        string output = process.StandardOutput.ReadToEnd().Trim();
        process.WaitForExit();
        return process.ExitCode == 0 ? output : null;
    }
}
