using SimClrV2.Sophon.Decode;
using SimClrV2.Sophon.Decode.Cifar;
using SimClrV2.Sophon.Infer;
using SimClrV2.Sophon.Models;
using SimClrV2.Sophon.OnnxRuntime;
using SimClrV2.Sophon.Pipeline;
using SimClrV2.Sophon.Postprocess;
using SimClrV2.Sophon.Results;
using SimClrV2.Sophon.Tests.TestSupport;

namespace SimClrV2.Sophon.Tests.Models;

/// <summary>
/// Models beyond the reference, made now from the shipped one by ONNX graph edits
/// (native/model/variant_onnx.py): an NHWC-input variant and a softmax-output variant score exactly
/// what the original scores, configured through their manifests alone.
/// </summary>
[Category("Dataset")]
public class ModelVariantTests
{
    private const int Images = 1000;

    private static TempDir s_dir = null!;
    private static IReadOnlyList<ImageInput> s_inputs = null!;
    private static IReadOnlyList<Prediction> s_original = null!;

    [OneTimeSetUp]
    public static void ClassifyWithTheOriginal()
    {
        string pickle = TestData.RequireShared("data", "cifar10", "test_batch");
        s_inputs = CifarDataset.ReadPickle(pickle).ToInputs().Take(Images).ToList();
        s_dir = new TempDir();
        using ImageClassifier original = OnnxImageClassifier.Create(new OnnxClassifierOptions { ModelPath = TestData.DefaultModel });
        s_original = original.Classify(s_inputs);
    }

    [OneTimeTearDown]
    public static void Clean() => s_dir?.Dispose();

    private static string MakeVariant(string kind) => ModelVariants.Make(kind, s_dir.Path);

    private static void WriteManifest(string model, Action<ModelManifest> change) => ModelVariants.WriteManifest(model, change);

    private static void AssertSameAsOriginal(IReadOnlyList<Prediction> predictions)
    {
        Assert.That(predictions.Select(p => p.ClassIndex), Is.EqualTo(s_original.Select(p => p.ClassIndex)));
        Assert.That(predictions.Select(p => p.Score), Is.EqualTo(s_original.Select(p => p.Score)).Within(1e-4f));
        Assert.That(predictions.Select(p => p.Label), Is.EqualTo(s_original.Select(p => p.Label)));
    }

    [Test]
    public void AnNhwcModelScoresLikeTheOriginalWithItsLayoutInTheManifest()
    {
        string model = MakeVariant("nhwc");
        WriteManifest(model, m => m.Layout = TensorLayout.Nhwc);

        using ImageClassifier classifier = OnnxImageClassifier.Create(new OnnxClassifierOptions { ModelPath = model });

        Assert.That(classifier.Engine.Input.Layout, Is.EqualTo(TensorLayout.Nhwc));
        AssertSameAsOriginal(classifier.Classify(s_inputs));
    }

    [Test]
    public void AnNhwcModelIsDetectedFromItsShapeAndAContradictingManifestNamesLayoutAndShape()
    {
        string model = MakeVariant("nhwc");
        WriteManifest(model, m => m.Layout = null);
        using (ImageClassifier detected = OnnxImageClassifier.Create(new OnnxClassifierOptions { ModelPath = model }))
        {
            Assert.That(detected.Engine.Input.Layout, Is.EqualTo(TensorLayout.Nhwc));
            IReadOnlyList<Prediction> first = detected.Classify(s_inputs.Take(64));
            Assert.That(first.Select(p => p.ClassIndex), Is.EqualTo(s_original.Take(64).Select(p => p.ClassIndex)));
            Assert.That(first.Select(p => p.Score), Is.EqualTo(s_original.Take(64).Select(p => p.Score)).Within(1e-4f));
        }

        WriteManifest(model, m => m.Layout = TensorLayout.Nchw);
        Assert.That(
            () => OnnxImageClassifier.Create(new OnnxClassifierOptions { ModelPath = model }),
            Throws.TypeOf<InvalidDataException>().With.Message.Contains("layout nchw but has shape [-1, 32, 32, 3]").And.Message.Contains("set layout to nhwc"));
    }

    [Test]
    public void ASoftmaxModelScoresLikeTheOriginalWhenItsManifestSaysProbabilities()
    {
        string model = MakeVariant("softmax");
        WriteManifest(model, m => m.OutputKind = OutputKind.Probabilities);

        using ImageClassifier classifier = OnnxImageClassifier.Create(new OnnxClassifierOptions { ModelPath = model });

        AssertSameAsOriginal(classifier.Classify(s_inputs));
    }
}
