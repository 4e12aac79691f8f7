using SimClrV2.Sophon.TestSupport;
using SimClrV2.Cli;
using SimClrV2.Sophon.Decode;
using SimClrV2.Sophon.Decode.Cifar;
using SimClrV2.Sophon.Infer;
using SimClrV2.Sophon.Models;
using SimClrV2.Sophon.Pipeline;
using SimClrV2.Sophon.Results;
using SimClrV2.Sophon.Tests.TestSupport;
using SimClrV2.Sophon.Tpu;

namespace SimClrV2.Sophon.Tests.Tpu;

/// <summary>
/// Fused preprocessing (TPU-MLIR's <c>--fuse_preprocess</c>): the bmodel takes UINT8 pixels and
/// normalises inside; its manifest says so and the host then does no arithmetic.
/// </summary>
public class FusedPreprocessingTests : EmulatorTestBase
{
    private static readonly Lazy<string> Fused = new(() =>
    {
        string folder = Path.Combine(Path.GetTempPath(), "simclrv2-fused-" + Environment.ProcessId);
        EmulatedModels.Write(TestData.DefaultModel, folder, Emulator.Calibration(), fused: true);
        return folder;
    });

    private static string FusedModel(string precision, int batch) => Path.Combine(Fused.Value, EmulatedModels.FileName(precision, batch));

    private static (IReadOnlyList<ImageInput> Images, int[] Labels) Images()
    {
        string pickle = Path.Combine(TestData.CifarDir, "test_batch");
        if (!File.Exists(pickle))
        {
            IReadOnlyList<ImageInput> photos = ImageInputs.FromFolder(TestData.SampleImages);
            return (photos, []);
        }

        IReadOnlyList<ImageInput> cifar = CifarDataset.ReadPickle(pickle).ToInputs();
        ImageInput[] picked = Enumerable.Range(0, 500).Select(i => cifar[i * 20]).ToArray();
        return (picked, picked.Select(i => i.LabelIndex ?? -1).ToArray());
    }

    [OneTimeTearDown]
    public void DeleteModels()
    {
        if (Fused.IsValueCreated)
        {
            Directory.Delete(Fused.Value, recursive: true);
        }
    }

    [Test]
    public void TheManifestSaysFusedAndTheHostFeedsRawPixels()
    {
        ModelManifest manifest = ModelManifest.Load(ModelManifest.PathFor(FusedModel("int8", 4)));
        using ImageClassifier classifier = SophonImageClassifier.Create(new SophonClassifierOptions { ModelPath = FusedModel("int8", 4) });

        Assert.That(manifest.FusedPreprocessing, Is.True);
        Assert.That(manifest.Preprocessing!.Mean, Is.EqualTo(new[] { 0.4914f, 0.4822f, 0.4465f }), "the model's own normalisation stays documented");
        Assert.That(classifier.Engine.Input.ElementType, Is.EqualTo(TensorElementType.UInt8));
        Assert.That((classifier.Preprocessing.Scale, classifier.Preprocessing.Mean, classifier.Preprocessing.Std), Is.EqualTo((1f, new[] { 0f, 0f, 0f }, new[] { 1f, 1f, 1f })));
    }

    [TestCase("fp32")]
    [TestCase("int8")]
    public void FusedVariantsScoreLikeTheFp32Variant(string precision)
    {
        (IReadOnlyList<ImageInput> images, int[] labels) = Images();
        using ImageClassifier reference = SophonImageClassifier.Create(new SophonClassifierOptions { ModelPath = Emulator.Model("fp32", 4) });
        using ImageClassifier fused = SophonImageClassifier.Create(new SophonClassifierOptions { ModelPath = FusedModel(precision, 4) });

        IReadOnlyList<Prediction> expected = reference.Classify(images);
        IReadOnlyList<Prediction> actual = fused.Classify(images);

        Assert.That(actual, Has.All.Matches<Prediction>(p => p.Succeeded));
        double agreement = actual.Zip(expected, (a, e) => a.ClassIndex == e.ClassIndex ? 1.0 : 0.0).Average();
        if (labels.Length > 0)
        {
            double accuracy(IReadOnlyList<Prediction> p) => 100.0 * p.Zip(labels, (x, l) => x.ClassIndex == l ? 1 : 0).Average();
            TestContext.Progress.WriteLine($"fused {precision}_4b: {images.Count} CIFAR-10 images, accuracy {accuracy(actual):F2} % (fp32 variant {accuracy(expected):F2} %), same class {100 * agreement:F2} %");
            Assert.That(accuracy(actual), Is.EqualTo(accuracy(expected)).Within(precision == "fp32" ? 0.0 : 1.0), "the same accuracy as the FP32 variant (INT8: within a point)");
        }

        if (precision == "fp32")
        {
            Assert.That(actual.Select(p => p.Score), Is.EqualTo(expected.Select(p => p.Score)).Within(1e-4), "the same arithmetic, on the device instead of the host");
        }
        else
        {
            Assert.That(agreement, Is.GreaterThanOrEqualTo(0.97));
        }
    }

    [Test]
    public void TheCliMakesAndClassifiesFusedVariants()
    {
        using var dir = new TempDir();
        (int code, string stdout, string stderr) = CliRunner.Run("emulate", "-o", dir.Path, "--calibration", TestData.SampleImages, "--fused");
        Assert.That(code, Is.Zero, stderr);
        string json = dir.File("r.json");

        (code, stdout, stderr) = CliRunner.Run("classify", "--bmodel", Path.Combine(dir.Path, "simclrv2_int8_4b.bmodel"), "--sophon-lib", Emulator.Folder, "-o", json);

        Assert.That(code, Is.Zero, stderr);
        Assert.That(stdout, Does.Contain("classified 5 images (0 failed)"));
    }
}
