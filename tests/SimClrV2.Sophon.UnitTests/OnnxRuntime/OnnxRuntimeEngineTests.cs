using SimClrV2.Sophon.Decode;
using SimClrV2.Sophon.Infer;
using SimClrV2.Sophon.OnnxRuntime;
using SimClrV2.Sophon.Pipeline;
using SimClrV2.Sophon.Preprocess;
using SimClrV2.Sophon.Results;
using SimClrV2.Sophon.Tests.TestSupport;

namespace SimClrV2.Sophon.Tests.OnnxRuntime;

public class OnnxRuntimeEngineTests
{
    [Test]
    public void ReadsNamesShapesAndTypeFromTheModel()
    {
        using var engine = new OnnxRuntimeEngine(new OnnxClassifierOptions { ModelPath = TestData.DefaultModel, BatchSize = 3 });

        EngineInput i = engine.Input;
        Assert.That((i.Name, i.ElementType, i.Channels, i.Height, i.Width, i.Layout, i.QuantizationScale, i.QuantizationZeroPoint), Is.EqualTo(("input", TensorElementType.Float32, 3, 32, 32, TensorLayout.Nchw, 1f, 0)));
        Assert.That(engine.OutputName, Is.EqualTo("logits"));
        Assert.That(engine.OutputLength, Is.EqualTo(10));
        Assert.That((engine.MaxBatchSize, engine.IsBatchSizeFixed), Is.EqualTo((3, false)));
    }

    [Test]
    public void BatchBuffersAreReusedAndPartialBatchesMatchFullOnes()
    {
        using var engine = new OnnxRuntimeEngine(new OnnxClassifierOptions { ModelPath = TestData.DefaultModel, BatchSize = 4 });
        var pre = new CpuPreprocessor(PreprocessingOptions.Cifar10, engine.Input);
        byte[][] images = Enumerable.Range(0, 4).Select(i => TestData.RandomBytes(3072, 100 + i)).ToArray();

        InferenceBatch batch = engine.RentBatch();
        for (int i = 0; i < 4; i++)
        {
            pre.Normalize(images[i], PixelLayout.Interleaved, batch.ImageSlot(i));
        }

        engine.Run(batch, 4);
        float[] full = batch.Outputs.ToArray();
        engine.ReturnBatch(batch);

        InferenceBatch again = engine.RentBatch();
        Assert.That(again, Is.SameAs(batch), "the pool hands the same buffer back");
        pre.Normalize(images[1], PixelLayout.Interleaved, again.ImageSlot(0));
        again.Outputs.Clear();
        engine.Run(again, 1);

        Assert.That(again.OutputRow(0).ToArray(), Is.EqualTo(full.AsSpan(10, 10).ToArray()).Within(1e-4));
        Assert.That(again.OutputRow(1).ToArray(), Is.All.Zero, "a run of 1 writes one row only");
        engine.ReturnBatch(again);
    }

    [Test]
    public void WrongInputNameListsTheModelsInputs()
    {
        Assert.That(
            () => new OnnxRuntimeEngine(new OnnxClassifierOptions { ModelPath = TestData.DefaultModel, InputName = "input.1" }),
            Throws.TypeOf<InvalidDataException>().With.Message.Contains("no input named 'input.1'").And.Message.Contains("'input'"));
    }

    [Test]
    public void MissingAndInvalidModelFilesGiveClearErrors()
    {
        using var dir = new TempDir();
        string notOnnx = dir.File("model.onnx");
        File.WriteAllText(notOnnx, "this is not a model");

        Assert.That(() => new OnnxRuntimeEngine(new OnnxClassifierOptions { ModelPath = dir.File("none.onnx") }), Throws.TypeOf<FileNotFoundException>().With.Message.Contains("none.onnx"));
        Assert.That(() => new OnnxRuntimeEngine(new OnnxClassifierOptions { ModelPath = notOnnx }), Throws.TypeOf<InvalidDataException>().With.Message.Contains("not an ONNX model"));
    }

    [Test]
    public void ClassifierConfiguresItselfFromTheManifest()
    {
        using ImageClassifier classifier = OnnxImageClassifier.Create(new OnnxClassifierOptions { ModelPath = TestData.DefaultModel });

        Assert.That(classifier.Labels, Is.EqualTo(TestData.Cifar10Labels));
        Assert.That(classifier.Preprocessing.Over(PreprocessingOptions.UnitRange), Is.EqualTo(PreprocessingOptions.Cifar10), "every field is given: nothing comes from the base");
        Assert.That((classifier.EngineName, classifier.BatchSize), Is.EqualTo(("onnxruntime", 4)));
    }

    [Test]
    public void EightThreadsOnOneClassifierGiveTheSameResultsAsOne()
    {
        using ImageClassifier classifier = OnnxImageClassifier.Create(new OnnxClassifierOptions { ModelPath = TestData.DefaultModel, IntraOpNumThreads = 1 });
        List<ImageInput> inputs = Enumerable.Range(0, 23).Select(i => ImageInput.FromPixels(TestData.RandomBytes(3072, i), 32, 32, $"r{i}")).ToList();
        Prediction[] single = classifier.Classify(inputs).ToArray();

        var results = new Prediction[8][];
        Parallel.For(0, 8, new ParallelOptions { MaxDegreeOfParallelism = 8 }, t => results[t] = classifier.Classify(inputs).ToArray());

        foreach (Prediction[] r in results)
        {
            Assert.That(r.Select(p => p.ClassIndex), Is.EqualTo(single.Select(p => p.ClassIndex)));
            Assert.That(r.Select(p => p.Score), Is.EqualTo(single.Select(p => p.Score)).Within(1e-5));
        }
    }
}
