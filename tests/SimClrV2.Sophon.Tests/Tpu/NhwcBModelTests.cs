using SimClrV2.Sophon.TestSupport;
using SimClrV2.Cli;
using SimClrV2.Sophon.Infer;
using SimClrV2.Sophon.OnnxRuntime;
using SimClrV2.Sophon.Pipeline;
using SimClrV2.Sophon.Results;
using SimClrV2.Sophon.Tests.TestSupport;
using SimClrV2.Sophon.Tpu;

namespace SimClrV2.Sophon.Tests.Tpu;

/// <summary>An NHWC bmodel (emulated from the NHWC variant of the shipped model): read as NHWC from its stage shapes, classified on the CPU path as the ONNX original is, and refused by BMCV by name (convert_to writes planar tensors).</summary>
public class NhwcBModelTests : EmulatorTestBase
{
    [Test]
    public void AnNhwcBModelIsDetectedAndScoresLikeTheOnnxOriginalWhileBmcvRefusesItByLayout()
    {
        using var dir = new TempDir();
        string onnx = ModelVariants.Make("nhwc", dir.Path);
        ModelVariants.WriteManifest(onnx, m => m.Layout = null);
        string bmodel = EmulatedModels.Write(onnx, dir.Path, Emulator.Calibration()).Single(p => Path.GetFileName(p) == EmulatedModels.FileName("fp32", 4));
        var images = SimClrV2.Sophon.Decode.ImageInputs.FromFolder(TestData.SampleImages);

        using ImageClassifier original = OnnxImageClassifier.Create(new OnnxClassifierOptions { ModelPath = TestData.DefaultModel });
        using ImageClassifier sophon = SophonImageClassifier.Create(new SophonClassifierOptions { ModelPath = bmodel });
        IReadOnlyList<Prediction> expected = original.Classify(images);
        IReadOnlyList<Prediction> actual = sophon.Classify(images);

        Assert.That(sophon.Engine.Input.Layout, Is.EqualTo(TensorLayout.Nhwc));
        Assert.That(actual.Select(p => p.ClassIndex), Is.EqualTo(expected.Select(p => p.ClassIndex)));
        Assert.That(actual.Select(p => p.Score), Is.EqualTo(expected.Select(p => p.Score)).Within(1e-4f));
        Assert.That(
            () => SophonImageClassifier.Create(new SophonClassifierOptions { ModelPath = bmodel, Preprocess = PreprocessBackend.Bmcv }),
            Throws.TypeOf<SophonModelException>().With.Message.Contains("planar (NCHW)").And.Message.Contains("nhwc").And.Message.Contains("CPU preprocessing"));
    }
}
