using System.Text.Json;
using SimClrV2.Sophon.Decode;
using SimClrV2.Sophon.OnnxRuntime;
using SimClrV2.Sophon.Pipeline;
using SimClrV2.Sophon.Results;
using SimClrV2.Sophon.Tests.TestSupport;

namespace SimClrV2.Sophon.Tests.Golden;

/// <summary>
/// The default model's predictions on the shipped photos and on a fixed set of CIFAR-10 test PNGs
/// (the first two of each class), recorded once in Golden/default-model.json and compared on every run.
/// Regenerate with: dotnet test --filter Name=RegenerateGoldenFile (an explicit test).
/// </summary>
public class GoldenPredictionTests
{
    private static string GoldenPath => Path.Combine(TestData.RepoRoot, "tests", "SimClrV2.Sophon.Tests", "Golden", "default-model.json");

    [Test]
    public void SamplePhotosMatchTheGoldenPredictions()
    {
        Compare("samples", ImageInputs.FromFolder(TestData.SampleImages));
    }

    [Test]
    [Category("Dataset")]
    public void CifarImagesMatchTheGoldenPredictions()
    {
        TestData.RequireShared("data", "cifar10", "test");
        Compare("cifar10", CifarInputs());
    }

    [Test]
    [Explicit("Rewrites the golden file from the current code; run only after a deliberate change.")]
    public void RegenerateGoldenFile()
    {
        using ImageClassifier classifier = Create();
        var golden = new Dictionary<string, List<GoldenEntry>>
        {
            ["samples"] = ToGolden(classifier.Classify(ImageInputs.FromFolder(TestData.SampleImages))),
            ["cifar10"] = ToGolden(classifier.Classify(CifarInputs())),
        };
        File.WriteAllText(GoldenPath, JsonSerializer.Serialize(golden, new JsonSerializerOptions { WriteIndented = true }));
    }

    private static void Compare(string set, IReadOnlyList<ImageInput> inputs)
    {
        List<GoldenEntry> expected = JsonSerializer.Deserialize<Dictionary<string, List<GoldenEntry>>>(File.ReadAllText(GoldenPath))![set];
        using ImageClassifier classifier = Create();

        IReadOnlyList<Prediction> actual = classifier.Classify(inputs);

        Assert.That(actual.Select(p => p.Source), Is.EqualTo(expected.Select(e => e.File)));
        Assert.That(actual.Select(p => p.Label), Is.EqualTo(expected.Select(e => e.Label)));
        Assert.That(actual.Select(p => (double)p.Score), Is.EqualTo(expected.Select(e => e.Score)).Within(1e-4));
    }

    // The golden file is the reference pipeline's arithmetic (full decode, then the resize): reduced
    // JPEG decode is turned off here, as a user wanting the reference's exact numbers would, and JPEGs
    // decode with ImageSharp, so the recorded scores do not depend on the machine's libturbojpeg.
    private static ImageClassifier Create() =>
        OnnxImageClassifier.Create(new OnnxClassifierOptions { ModelPath = TestData.DefaultModel, Decode = SimClrV2.Sophon.TestSupport.DecodePaths.ImageSharpOnly(DecodeOptions.Default) });

    private static List<ImageInput> CifarInputs() =>
        TestData.Cifar10Labels
            .SelectMany(label => Directory.GetFiles(Path.Combine(TestData.CifarDir, "test", label), "*.png").Order(StringComparer.Ordinal).Take(2))
            .Select(f => ImageInput.FromFile(f))
            .ToList();

    private static List<GoldenEntry> ToGolden(IReadOnlyList<Prediction> predictions) =>
        predictions.Select(p => new GoldenEntry(p.Source, p.Label!, Math.Round(p.Score, 6))).ToList();

    private sealed record GoldenEntry(string File, string Label, double Score);
}
