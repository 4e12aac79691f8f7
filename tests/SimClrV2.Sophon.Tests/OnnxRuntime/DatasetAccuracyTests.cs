using SimClrV2.Sophon.Preprocess;
using SimClrV2.Sophon.Decode;
using SimClrV2.Sophon.Decode.Cifar;
using SimClrV2.Sophon.Models;
using SimClrV2.Sophon.OnnxRuntime;
using SimClrV2.Sophon.Pipeline;
using SimClrV2.Sophon.Results;
using SimClrV2.Sophon.Tests.TestSupport;

namespace SimClrV2.Sophon.Tests.OnnxRuntime;

/// <summary>The whole CIFAR-10 test set from ../shared: the accuracy the model cards state, from every input format.</summary>
[Category("Dataset")]
public class DatasetAccuracyTests
{
    private static double Accuracy(IReadOnlyList<Prediction> predictions, IReadOnlyDictionary<string, int> truth) =>
        Evaluation.Evaluate(predictions.Select(p => new PredictionRecord(p.Source, p.ClassIndex, p.Score, p.Error)), truth, TestData.Cifar10Labels).AccuracyPercent;

    /// <summary>
    /// Photo-sized JPEGs: 2,000 evenly spaced CIFAR-10 test images upscaled (bicubic) to 640x480 and
    /// saved at quality 90, made here. The default reduced decode (1/4 scale through libturbojpeg for
    /// a 32x32 input) keeps accuracy within half a point of decoding every photo at full size.
    /// </summary>
    [Test]
    public void PhotoSizedJpegsReducedDecodeStaysWithinHalfAPointOfFullDecode()
    {
        TestData.RequireTurboJpeg();
        using var dir = new TempDir();
        (List<ImageInput> jpegs, List<int> labels) = TestData.UpscaledCifarJpegs(dir.Path, 2000, 5, 640, 480);
        double Accuracy(bool reduced) => TestData.DefaultModelAccuracy(jpegs, labels, reduced);

        double full = Accuracy(false), reduced = Accuracy(true);
        TestContext.Progress.WriteLine($"CIFAR-10 upscaled to 640x480 JPEG (q90), 2,000 images: full decode {full:F2} %, reduced decode {reduced:F2} %");
        Assert.That(full, Is.GreaterThan(80.0));
        Assert.That(reduced, Is.EqualTo(full).Within(0.5));
    }

    [Test]
    public void PickleBinaryAndPngFolderAllGiveTheModelCardAccuracy()
    {
        string pickle = TestData.RequireShared("data", "cifar10", "test_batch");
        string bin = TestData.RequireShared("data", "cifar10", "test_batch.bin");
        string folder = TestData.RequireShared("data", "cifar10", "test");
        using ImageClassifier classifier = OnnxImageClassifier.Create(new OnnxClassifierOptions { ModelPath = TestData.DefaultModel });

        IReadOnlyList<Prediction> fromPickle = classifier.Classify(ImageInputs.FromPath(pickle));
        IReadOnlyList<Prediction> fromBin = classifier.Classify(ImageInputs.FromPath(bin));
        IReadOnlyList<Prediction> fromPng = classifier.Classify(ImageInputs.FromPath(folder, classifier.Labels));

        Assert.That(fromPickle, Has.Count.EqualTo(10_000));
        Assert.That(fromPickle, Has.All.Matches<Prediction>(p => p.Succeeded));
        double accuracy = Accuracy(fromPickle, Evaluation.LoadGroundTruth(pickle, classifier.Labels));
        TestContext.Out.WriteLine($"accuracy pickle {accuracy:F3}");
        Assert.That(accuracy, Is.EqualTo(86.43).Within(0.05), "model card: 86.43 %");
        Assert.That(Accuracy(fromBin, Evaluation.LoadGroundTruth(bin, classifier.Labels)), Is.EqualTo(accuracy));
        Assert.That(Accuracy(fromPng, Evaluation.LoadGroundTruth(folder, classifier.Labels)), Is.EqualTo(accuracy));
        Assert.That(fromPng.Select(p => p.ExpectedClassIndex), Is.All.Not.Null, "folder names give the labels");
        Assert.That(fromBin.Select(p => p.ClassIndex), Is.EqualTo(fromPickle.Select(p => p.ClassIndex)));
    }

    [Test]
    public void AModelWithAnotherInputNameAndPreprocessingWorksThroughItsManifestAlone()
    {
        string source = TestData.RequireShared("models", "simclrv2-r18w025-cifar10-unitrange.onnx");
        string pickle = TestData.RequireShared("data", "cifar10", "test_batch");
        using var dir = new TempDir();
        string model = dir.File("unitrange.onnx");
        File.Copy(source, model);
        new ModelManifest
        {
            InputName = "images",
            OutputName = "logits",
            Preprocessing = new PreprocessingOverride { Width = 32, Height = 32, Scale = 1f / 255f, Mean = [0f, 0f, 0f], Std = [1f, 1f, 1f] },
            Labels = TestData.Cifar10Labels,
        }.Save(ModelManifest.PathFor(model));

        using ImageClassifier classifier = OnnxImageClassifier.Create(new OnnxClassifierOptions { ModelPath = model });
        IReadOnlyList<Prediction> predictions = classifier.Classify(CifarDataset.ReadPickle(pickle).ToInputs());

        Assert.That(classifier.Preprocessing.Mean, Is.All.Zero);
        double accuracy = Accuracy(predictions, Evaluation.LoadGroundTruth(pickle, classifier.Labels));
        TestContext.Out.WriteLine($"accuracy unit-range model {accuracy:F3}");
        Assert.That(accuracy, Is.EqualTo(84.82).Within(0.05), "model card: 84.82 %");
    }
}
