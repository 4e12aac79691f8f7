using SimClrV2.Sophon.Decode;
using SimClrV2.Sophon.Decode.Cifar;
using SimClrV2.Sophon.Diagnostics;
using SimClrV2.Sophon.Models;
using SimClrV2.Sophon.OnnxRuntime;
using SimClrV2.Sophon.Pipeline;
using SimClrV2.Sophon.Results;
using SimClrV2.Sophon.Tests.TestSupport;
using SimClrV2.Sophon.Tpu;

namespace SimClrV2.Sophon.Tests.Tpu;

/// <summary>The SOPHON classifier end to end on the emulator: the six variants, batching, threads, devices.</summary>
public class SophonClassifierTests : EmulatorTestBase
{
    private static readonly string[] Precisions = ["fp32", "fp16", "int8"];

    private static ImageClassifier Create(string precision, int batch, IReadOnlyList<int>? devices = null) =>
        SophonImageClassifier.Create(new SophonClassifierOptions { ModelPath = Emulator.Model(precision, batch), DeviceIds = devices });

    private static IReadOnlyList<Prediction> Reference(IReadOnlyList<ImageInput> inputs)
    {
        using ImageClassifier onnx = OnnxImageClassifier.Create(new OnnxClassifierOptions { ModelPath = TestData.DefaultModel });
        return onnx.Classify(inputs);
    }

    [Test]
    public void EachOfTheSixVariantsClassifiesTheSamplePhotos([ValueSource(nameof(Precisions))] string precision, [Values(1, 4)] int batch)
    {
        IReadOnlyList<ImageInput> photos = ImageInputs.FromFolder(TestData.SampleImages);
        IReadOnlyList<Prediction> expected = Reference(photos);
        using ImageClassifier classifier = Create(precision, batch);

        IReadOnlyList<Prediction> actual = classifier.Classify(photos);

        Assert.That(classifier.EngineName, Is.EqualTo("sophon"));
        Assert.That(classifier.Labels, Is.EqualTo(TestData.Cifar10Labels), "the manifest beside the bmodel names the classes");
        Assert.That(actual.Select(p => p.Source), Is.EqualTo(expected.Select(p => p.Source)));
        Assert.That(actual, Has.All.Matches<Prediction>(p => p.Succeeded));
        if (precision == "fp32")
        {
            Assert.That(actual.Select(p => p.ClassIndex), Is.EqualTo(expected.Select(p => p.ClassIndex)));
            Assert.That(actual.Select(p => p.Score), Is.EqualTo(expected.Select(p => p.Score)).Within(1e-4));
        }
        else
        {
            Assert.That(actual.Select(p => p.Score).Zip(expected.Select(p => p.Score), (a, e) => Math.Abs(a - e)), Is.All.LessThan(0.1), "close to FP32");
        }
    }

    [Test]
    public void ABModelFromMemoryClassifiesLikeItsFileAndTheLibrariesPathsAreLogged()
    {
        IReadOnlyList<ImageInput> photos = ImageInputs.FromFolder(TestData.SampleImages);
        using var dir = new TempDir();

        // An emulated bmodel naming its ONNX by absolute path: from memory there is no folder to resolve it against.
        string path = Emulator.WriteModel(dir.File("m.bmodel"), "simclrv2", "input INT8 40", "logits FLOAT32 1", "1x3x32x32 1x10", "4x3x32x32 4x10");
        File.Copy(ModelManifest.PathFor(TestData.DefaultModel), ModelManifest.PathFor(path));
        using var logs = new CapturingLoggerProvider();
        // The copied manifest lists the ONNX model's embeddings, which this hand-written bmodel lacks.
        using ImageClassifier fromFile = SophonImageClassifier.Create(new SophonClassifierOptions { ModelPath = path, LoggerFactory = logs, Embedding = "none" });
        using ImageClassifier fromMemory = SophonImageClassifier.Create(new SophonClassifierOptions
        {
            Model = ClassifierModel.FromBytes(Path.GetFileName(path), File.ReadAllBytes(path), ModelManifest.Load(ModelManifest.PathFor(path))),
            Embedding = "none",
        });

        IReadOnlyList<Prediction> expected = fromFile.Classify(photos);
        IReadOnlyList<Prediction> actual = fromMemory.Classify(photos);

        Assert.That(actual.Select(p => (p.Source, p.ClassIndex, p.Label)), Is.EqualTo(expected.Select(p => (p.Source, p.ClassIndex, p.Label))));
        Assert.That(actual.Select(p => p.Score), Is.EqualTo(expected.Select(p => p.Score)).Within(1e-6f));
        string loaded = logs.Entries.Single(e => e.EventId.Id == SimClrV2EventIds.SophonLibraryLoaded).Message;
        Assert.That(loaded, Does.Contain("bmrt: " + Path.Combine(Emulator.Folder, "libbmrt.so.1.0")).And.Contain("bmlib: "));
    }

    [Test]
    public void PartialBatchesOnABatchFourModelGiveEveryImageInOrder()
    {
        List<ImageInput> inputs = Enumerable.Range(0, 10).Select(i => ImageInput.FromPixels(TestData.RandomBytes(3072, 40 + i), 32, 32, $"r{i}")).ToList();
        using ImageClassifier one = Create("fp32", 1);
        using ImageClassifier four = Create("fp32", 4);

        IReadOnlyList<Prediction> expected = one.Classify(inputs);
        IReadOnlyList<Prediction> actual = four.Classify(inputs);

        Assert.That(actual.Select(p => p.Source), Is.EqualTo(inputs.Select(i => i.Name)));
        Assert.That(actual.Select(p => p.ClassIndex), Is.EqualTo(expected.Select(p => p.ClassIndex)));
        Assert.That(actual.Select(p => p.Score), Is.EqualTo(expected.Select(p => p.Score)).Within(1e-5));
    }

    [Test]
    public void EightThreadsOnOneClassifierGetTheSameResultsAsOne()
    {
        List<ImageInput> inputs = Enumerable.Range(0, 22).Select(i => ImageInput.FromPixels(TestData.RandomBytes(3072, 70 + i), 32, 32, $"t{i}")).ToList();
        using ImageClassifier classifier = Create("int8", 4);
        float[] single = classifier.Classify(inputs).Select(p => p.Score).ToArray();

        var results = new float[8][];
        Parallel.For(0, 8, new ParallelOptions { MaxDegreeOfParallelism = 8 }, t => results[t] = classifier.Classify(inputs).Select(p => p.Score).ToArray());

        Assert.That(results, Is.All.EqualTo(single));
    }

    [Test]
    public void TwoDevicesShareTheBatchesAndKeepInputOrder()
    {
        Emulator.SetDevices(2);
        List<ImageInput> inputs = Enumerable.Range(0, 30).Select(i => ImageInput.FromPixels(TestData.RandomBytes(3072, 90 + i), 32, 32, $"d{i}")).ToList();
        using ImageClassifier single = Create("fp16", 4);
        using ImageClassifier pair = Create("fp16", 4, [0, 1]);

        IReadOnlyList<Prediction> expected = single.Classify(inputs);
        IReadOnlyList<Prediction> actual = pair.Classify(inputs);

        Assert.That(((SophonEngine)pair.Engine).WorkerThreadIds.Distinct().Count(), Is.EqualTo(2));
        Assert.That(actual.Select(p => p.Source), Is.EqualTo(expected.Select(p => p.Source)));
        Assert.That(actual.Select(p => p.Score), Is.EqualTo(expected.Select(p => p.Score)));
    }

    [Test]
    public void DisposeIsIdempotentAndLaterUseIsRefused()
    {
        ImageClassifier classifier = Create("fp32", 4);
        classifier.Dispose();
        classifier.Dispose();

        Assert.That(() => classifier.Classify(ImageInputs.FromFolder(TestData.SampleImages)), Throws.TypeOf<ObjectDisposedException>());
    }

    [Test]
    [Category("Dataset")]
    public void OnTheCifarTestSetTheVariantsAgreeWithOnnxRuntime()
    {
        string pickle = TestData.RequireShared("data", "cifar10", "test_batch");
        IReadOnlyList<ImageInput> inputs = CifarDataset.ReadPickle(pickle).ToInputs();
        IReadOnlyList<Prediction> expected = Reference(inputs);
        IReadOnlyDictionary<string, int> truth = Evaluation.LoadGroundTruth(pickle, TestData.Cifar10Labels);
        var minimum = new Dictionary<string, double> { ["fp32"] = 100.0, ["fp16"] = 99.5, ["int8"] = 98.0 };

        foreach (string precision in Precisions)
        {
            foreach (int batch in new[] { 1, 4 })
            {
                using ImageClassifier classifier = Create(precision, batch);
                IReadOnlyList<Prediction> actual = classifier.Classify(inputs);
                double agreement = 100.0 * actual.Zip(expected, (a, e) => a.ClassIndex == e.ClassIndex ? 1 : 0).Sum() / expected.Count;
                double accuracy = Evaluation.Evaluate(actual.Select(p => new PredictionRecord(p.Source, p.ClassIndex, p.Score, p.Error)), truth, TestData.Cifar10Labels).AccuracyPercent;
                TestContext.Out.WriteLine($"emulated {precision}_{batch}b: accuracy {accuracy:F3} %, agreement with ONNX Runtime {agreement:F2} %");
                Assert.That(actual, Has.Count.EqualTo(10_000));
                Assert.That(agreement, Is.GreaterThanOrEqualTo(minimum[precision]), $"{precision}_{batch}b");
                Assert.That(accuracy, Is.EqualTo(86.43).Within(0.5), $"{precision}_{batch}b accuracy");
            }
        }
    }
}
