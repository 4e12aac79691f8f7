using System.Text.Json;
using SimClrV2.Sophon.Decode;
using SimClrV2.Sophon.Infer;
using SimClrV2.Sophon.Models;
using SimClrV2.Sophon.OnnxRuntime;
using SimClrV2.Sophon.Pipeline;
using SimClrV2.Sophon.Results;
using SimClrV2.Sophon.Tests.TestSupport;

namespace SimClrV2.Sophon.Tests.Models;

/// <summary>
/// Models exported by native/model/export_onnx.py --check-data into native/model/build (CI exports
/// them when PyTorch is available): ONNX Runtime from C# gives PyTorch's outputs, and the classifier
/// configures itself from the exported manifest.
/// </summary>
public class ExportedModelTests
{
    private static string BuildFolder => Path.Combine(TestData.RepoRoot, "native", "model", "build");

    public static IEnumerable<string> ExportedModels() =>
        Directory.Exists(BuildFolder) ? Directory.GetFiles(BuildFolder, "*.onnx.check.json").Select(Path.GetFileName).Order(StringComparer.Ordinal)! : [];

    private static string Require()
    {
        if (!ExportedModels().Any())
        {
            Assert.Ignore($"No exported model in {BuildFolder}; export one with: /usr/bin/python3 native/model/export_onnx.py --random-init --check-data --output native/model/build/reference-r50.onnx (needs python3-torch, python3-torchvision, python3-onnx).");
        }

        return BuildFolder;
    }

    [Test]
    public void OnnxRuntimeFromCSharpMatchesPyTorch()
    {
        string folder = Require();
        foreach (string checkFile in ExportedModels())
        {
            string model = Path.Combine(folder, checkFile[..^".check.json".Length]);
            using JsonDocument check = JsonDocument.Parse(File.ReadAllText(Path.Combine(folder, checkFile)));
            int[] inShape = check.RootElement.GetProperty("inputShape").EnumerateArray().Select(e => e.GetInt32()).ToArray();
            float[] input = check.RootElement.GetProperty("input").EnumerateArray().Select(e => e.GetSingle()).ToArray();
            float[] expected = check.RootElement.GetProperty("output").EnumerateArray().Select(e => e.GetSingle()).ToArray();
            ModelManifest manifest = ModelManifest.TryLoadFor(model) ?? throw new AssertionException($"{model} has no manifest");
            using var engine = new OnnxRuntimeEngine(new OnnxClassifierOptions { ModelPath = model, InputName = manifest.InputName, OutputName = manifest.OutputName, BatchSize = inShape[0] });

            InferenceBatch batch = engine.RentBatch();
            System.Runtime.InteropServices.MemoryMarshal.AsBytes(input.AsSpan()).CopyTo(batch.InputBytes);
            engine.Run(batch, inShape[0]);
            float[] actual = batch.Outputs[..expected.Length].ToArray();
            engine.ReturnBatch(batch);

            double scale = Math.Max(1.0, expected.Max(Math.Abs));
            double maxDiff = actual.Zip(expected, (a, e) => Math.Abs(a - e)).Max();
            TestContext.Out.WriteLine($"{Path.GetFileName(model)}: max |ONNX Runtime - PyTorch| = {maxDiff:G3} (outputs up to {scale:G3})");
            Assert.That(maxDiff, Is.LessThanOrEqualTo(1e-3 * scale), model);
        }
    }

    [Test]
    public void ExportedModelsClassifyThroughTheirManifest()
    {
        string folder = Require();
        foreach (string checkFile in ExportedModels())
        {
            string model = Path.Combine(folder, checkFile[..^".check.json".Length]);
            using ImageClassifier classifier = OnnxImageClassifier.Create(new OnnxClassifierOptions { ModelPath = model });

            IReadOnlyList<Prediction> predictions = classifier.Classify(ImageInputs.FromFolder(TestData.SampleImages));

            Assert.That(classifier.Labels, Is.EqualTo(TestData.Cifar10Labels), model);
            Assert.That(predictions, Has.Count.EqualTo(5).And.All.Matches<Prediction>(p => p.Succeeded), model);
        }
    }
}
