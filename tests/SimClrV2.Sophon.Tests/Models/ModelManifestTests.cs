using System.Text.Json;
using Json.Schema;
using SimClrV2.Sophon.TestSupport;
using SimClrV2.Cli;
using SimClrV2.Sophon.Infer;
using SimClrV2.Sophon.Models;
using SimClrV2.Sophon.OnnxRuntime;
using SimClrV2.Sophon.Pipeline;
using SimClrV2.Sophon.Postprocess;
using SimClrV2.Sophon.Preprocess;
using SimClrV2.Sophon.Tests.TestSupport;

namespace SimClrV2.Sophon.Tests.Models;

/// <summary>Strict manifests: unknown keys and bad values are errors that name them; one fallback rule; the published schema accepts every manifest the project writes and refuses what the loader refuses.</summary>
public class ModelManifestTests
{
    private static readonly Lazy<JsonSchema> Schema = new(() =>
        JsonSchema.FromText(File.ReadAllText(Path.Combine(TestData.RepoRoot, "src", "SimClrV2.Sophon", "Models", ModelManifest.SchemaFileName))));

    private static bool SchemaAccepts(string json)
    {
        using var document = JsonDocument.Parse(json);
        return Schema.Value.Evaluate(document.RootElement).IsValid;
    }

    private static string Write(TempDir dir, string json)
    {
        string path = dir.File("model.manifest.json");
        File.WriteAllText(path, json);
        return path;
    }

    [TestCase("""{ "labels": ["a"], "lables": ["a"] }""", "'lables'", "labels")]
    [TestCase("""{ "preprocessing": { "width": 32, "scal": 1 } }""", "'scal' in 'preprocessing'", "scale")]
    public void AnUnknownKeyIsAnErrorNamingItAndTheKnownKeys(string json, string named, string known)
    {
        using var dir = new TempDir();
        string path = Write(dir, json);

        Assert.That(() => ModelManifest.Load(path), Throws.TypeOf<InvalidDataException>().With.Message.Contains(named).And.Message.Contains("the known keys are:").And.Message.Contains(known).And.Message.Contains(path));
        Assert.That(SchemaAccepts(json), Is.False, "the schema refuses it too");
    }

    [TestCase("""{ "preprocessing": { "mean": [0.5, 0.5] } }""", "Mean")]
    [TestCase("""{ "preprocessing": { "std": [0.2, 0, 0.2] } }""", "Std")]
    [TestCase("""{ "preprocessing": { "scale": -1 } }""", "Scale must be finite and positive")]
    [TestCase("""{ "preprocessing": { "scale": 0 } }""", "Scale must be finite and positive")]
    [TestCase("""{ "preprocessing": { "width": 0 } }""", "out of range")]
    [TestCase("""{ "preprocessing": { "cropFraction": 1.5 } }""", "CropFraction")]
    [TestCase("""{ "preprocessing": { "padValue": [0, 300, 0] } }""", "padValue")]
    [TestCase("""{ "labels": [] }""", "labels")]
    [TestCase("""{ "layout": "nhcw" }""", "layout")]
    [TestCase("""{ "outputKind": "logit" }""", "outputKind")]
    [TestCase("""{ "embeddings": ["h", "h"] }""", "embeddings names 'h' twice")]
    [TestCase("""{ "embeddings": [""] }""", "embeddings holds an empty name")]
    public void InvalidValuesAreErrorsNamingTheField(string json, string named)
    {
        using var dir = new TempDir();
        string path = Write(dir, json);

        Assert.That(() => ModelManifest.Load(path), Throws.TypeOf<InvalidDataException>().With.Message.Contains(named).And.Message.Contains(path));
        Assert.That(SchemaAccepts(json), Is.False, "the schema refuses it too");
    }

    [TestCase("""{ "embeddings": ["projection", "h"], "defaultEmbedding": "pool" }""", "defaultEmbedding 'pool' is not one of embeddings ('projection', 'h')")]
    [TestCase("""{ "defaultEmbedding": "h" }""", "defaultEmbedding 'h' is not one of embeddings (none listed)")]
    [TestCase("""{ "outputName": "logits", "embeddings": ["logits"] }""", "the logits output")]
    public void EmbeddingsTheSchemaCannotJudgeAreCheckedByTheLoader(string json, string named)
    {
        using var dir = new TempDir();
        string path = Write(dir, json);

        Assert.That(() => ModelManifest.Load(path), Throws.TypeOf<InvalidDataException>().With.Message.Contains(named).And.Message.Contains(path));
    }

    [Test]
    public void ALabelCountOtherThanTheModelsOutputsIsRefusedNamingTheManifest()
    {
        using var dir = new TempDir();
        string model = dir.File("model.onnx");
        File.Copy(TestData.DefaultModel, model);
        string manifest = Write(dir, """{ "labels": ["cat", "dog", "bird"] }""");

        Assert.That(
            () => OnnxImageClassifier.Create(new OnnxClassifierOptions { ModelPath = model }),
            Throws.TypeOf<InvalidDataException>().With.Message.Contains("3 labels but the model has 10 outputs").And.Message.Contains(manifest));
    }

    [Test]
    public void AMissingFieldTakesTheSameDefaultWhetherItsSectionIsMissingOrPartial()
    {
        using var dir = new TempDir();
        string model = dir.File("model.onnx");
        File.Copy(TestData.DefaultModel, model);

        PreprocessingOptions Resolve(string json)
        {
            Write(dir, json);
            using ImageClassifier classifier = OnnxImageClassifier.Create(new OnnxClassifierOptions { ModelPath = model });
            return classifier.Preprocessing.Over(PreprocessingOptions.UnitRange);
        }

        PreprocessingOptions noSection = Resolve("{}");
        PreprocessingOptions emptySection = Resolve("""{ "preprocessing": {} }""");
        PreprocessingOptions sizeOnly = Resolve("""{ "preprocessing": { "width": 32, "height": 32 } }""");
        PreprocessingOptions scaleOnly = Resolve("""{ "preprocessing": { "scale": 1 } }""");

        Assert.That(noSection, Is.EqualTo(PreprocessingOptions.Cifar10));
        Assert.That(emptySection, Is.EqualTo(noSection));
        Assert.That(sizeOnly, Is.EqualTo(noSection), "a section with only the size keeps the default mean/std");
        Assert.That(scaleOnly, Is.EqualTo(noSection with { Scale = 1f }), "one field given changes that field only");
    }

    [Test]
    public void KeysAreReadCaseInsensitivelyAndEnumsInTheirManifestSpelling()
    {
        using var dir = new TempDir();
        string path = Write(dir, """{ "Layout": "nhwc", "outputKind": "probabilities", "preprocessing": { "Resize": "centerCrop", "interpolation": "bicubic", "channelOrder": "bgr", "padValue": [114, 114, 114] } }""");

        ModelManifest manifest = ModelManifest.Load(path);

        Assert.That((manifest.Layout, manifest.OutputKind), Is.EqualTo((TensorLayout.Nhwc, OutputKind.Probabilities)));
        PreprocessingOptions options = manifest.Preprocessing!.Over(PreprocessingOptions.Cifar10);
        Assert.That((options.Resize, options.Interpolation, options.ChannelOrder, options.PadValue), Is.EqualTo((ResizeMode.CenterCrop, ResizeInterpolation.Bicubic, ChannelOrder.Bgr, new byte[] { 114, 114, 114 })));
    }

    [Test]
    public void EveryManifestTheProjectWritesMatchesTheSchema()
    {
        using var dir = new TempDir();
        var written = new List<string> { ModelManifest.PathFor(TestData.DefaultModel) };

        string full = dir.File("full.manifest.json");
        new ModelManifest
        {
            Schema = ModelManifest.SchemaFileName,
            Name = "full",
            Model = "full.onnx",
            Card = "full.md",
            InputName = "images",
            OutputName = "probs",
            Layout = TensorLayout.Nhwc,
            Preprocessing = new PreprocessingOverride
            {
                Width = 224, Height = 224, ChannelOrder = ChannelOrder.Bgr, Scale = 1f, Mean = [1f, 2f, 3f], Std = [4f, 5f, 6f],
                Resize = ResizeMode.Letterbox, CropFraction = 0.875f, PadValue = [114, 114, 114], Interpolation = ResizeInterpolation.Nearest,
            },
            FusedPreprocessing = true,
            Labels = TestData.Cifar10Labels,
            OutputKind = OutputKind.Probabilities,
            Accuracy = 86.43,
        }.Save(full);
        written.Add(full);
        Assert.That(ModelManifest.Load(full).Preprocessing!.Resize, Is.EqualTo(ResizeMode.Letterbox), "what Save writes, Load reads");

        written.AddRange(EmulatedModels.Write(TestData.DefaultModel, dir.File("emulated"), Emulator.Calibration()).Select(ModelManifest.PathFor));
        written.AddRange(EmulatedModels.Write(TestData.DefaultModel, dir.File("fused"), Emulator.Calibration(), fused: true).Select(ModelManifest.PathFor));

        if (File.Exists("/usr/bin/python3") && ChildProcess.RunProgram("/usr/bin/python3", ["-c", "import onnx"], TimeSpan.FromSeconds(60)).ExitCode == 0)
        {
            string bmodel = dir.File("python.bmodel");
            ChildProcess.Result result = ChildProcess.RunProgram(
                "/usr/bin/python3",
                [Path.Combine(TestData.RepoRoot, "native", "model", "mlir_manifest.py"), "write", ModelManifest.PathFor(TestData.DefaultModel), TestData.DefaultModel, bmodel, "--fused-preprocess"],
                TimeSpan.FromMinutes(1));
            Assert.That(result.ExitCode, Is.Zero, result.Err);
            written.Add(ModelManifest.PathFor(bmodel));
        }

        string exported = Path.Combine(TestData.RepoRoot, "native", "model", "build");
        if (Directory.Exists(exported))
        {
            written.AddRange(Directory.GetFiles(exported, "*.manifest.json"));
        }

        TestContext.Out.WriteLine($"{written.Count} manifests checked against the schema");
        foreach (string path in written)
        {
            Assert.That(SchemaAccepts(File.ReadAllText(path)), Is.True, path);
            Assert.That(() => ModelManifest.Load(path), Throws.Nothing, path);
        }
    }
}
