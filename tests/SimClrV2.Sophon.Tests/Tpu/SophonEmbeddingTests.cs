using System.Numerics.Tensors;
using SimClrV2.Sophon.Decode;
using SimClrV2.Sophon.OnnxRuntime;
using SimClrV2.Sophon.Pipeline;
using SimClrV2.Sophon.Results;
using SimClrV2.Sophon.Tests.TestSupport;
using SimClrV2.Sophon.Tpu;

namespace SimClrV2.Sophon.Tests.Tpu;

/// <summary>Embeddings on SOPHON: the emulated bmodels keep every output (per-output INT8 scales) and the device run fetches the embedding with the logits.</summary>
public class SophonEmbeddingTests : EmulatorTestBase
{
    [TestCase("fp32", 0.99999)]
    [TestCase("fp16", 0.9999)]
    [TestCase("int8", 0.999)]
    public void TheDeviceRunGivesTheOnnxModelsEmbeddingsForItsPrecision(string precision, double minimum)
    {
        IReadOnlyList<ImageInput> images = [.. ImageInputs.FromFolder(TestData.SampleImages), .. Emulator.Calibration().Take(59)];
        using var onnx = new OnnxImageClassifier(new OnnxClassifierOptions { ModelPath = TestData.DefaultModel });
        using var sophon = new SophonImageClassifier(new SophonClassifierOptions { ModelPath = Emulator.Model(precision, 4) });

        IReadOnlyList<ImageEmbedding> expected = onnx.Embed(images), actual = sophon.Embed(images);

        Assert.That(sophon.EmbeddingName, Is.EqualTo("projection"));
        Assert.That(actual.Select(e => (e.Source, e.Succeeded, e.Vector.Length)), Is.EqualTo(expected.Select(e => (e.Source, true, 128))));
        double[] cosines = [.. actual.Select((e, i) => (double)TensorPrimitives.Dot(e.Vector.Span, expected[i].Vector.Span))];
        TestContext.Out.WriteLine($"{precision}: cosine to the ONNX embedding min {cosines.Min():F6}, mean {cosines.Average():F6}");
        Assert.That(cosines, Is.All.GreaterThanOrEqualTo(minimum));
    }

    [Test]
    public void TheEncoderEmbeddingIsFetchedWhenAsked()
    {
        using var sophon = new SophonImageClassifier(new SophonClassifierOptions { ModelPath = Emulator.Model("fp32", 1), Embedding = "h" });
        using var onnx = new OnnxImageClassifier(new OnnxClassifierOptions { ModelPath = TestData.DefaultModel, Embedding = "h" });
        string horse = Path.Combine(TestData.SampleImages, "horse.png");

        ImageEmbedding a = sophon.Embed(horse).Single(), b = onnx.Embed(horse).Single();

        Assert.That((a.EmbeddingName, TensorPrimitives.Dot(a.Vector.Span, b.Vector.Span)), Is.EqualTo(("h", 1f)).Using<(string?, float)>((x, y) => x.Item1 == y.Item1 && MathF.Abs(x.Item2 - y.Item2) < 1e-5f));
    }

    [Test]
    public void AnEmbeddingTheBModelDoesNotHaveIsRefusedNamingItsOutputs()
    {

        Assert.That(
            () => new SophonImageClassifier(new SophonClassifierOptions { ModelPath = Emulator.Model("fp32", 1), Embedding = "pool5" }),
            Throws.TypeOf<SophonModelException>().With.Message.Contains("'pool5'").And.Message.Contains("'logits', 'projection', 'h'"));
    }
}
