using Microsoft.ML.OnnxRuntime;
using SimClrV2.Sophon.OnnxRuntime;
using SimClrV2.Sophon.Pipeline;
using SimClrV2.Sophon.Results;
using SimClrV2.Sophon.Tests.TestSupport;

namespace SimClrV2.Sophon.Tests.OnnxRuntime;

/// <summary>ONNX Runtime's session options are open to the caller (execution providers, optimisation, threads).</summary>
public class SessionOptionsTests
{
    [Test]
    public void TheHookSeesTheLibrarysSettingsAndItsChangesTakeEffect()
    {
        int seenThreads = -1;
        using ImageClassifier optimised = OnnxImageClassifier.Create(new OnnxClassifierOptions { IntraOpNumThreads = 1 });
        using ImageClassifier unoptimised = OnnxImageClassifier.Create(new OnnxClassifierOptions
        {
            IntraOpNumThreads = 1,
            ConfigureSession = session =>
            {
                seenThreads = session.IntraOpNumThreads;
                session.GraphOptimizationLevel = GraphOptimizationLevel.ORT_DISABLE_ALL;
            },
        });

        IReadOnlyList<Prediction> a = optimised.Classify(TestData.SampleImages);
        IReadOnlyList<Prediction> b = unoptimised.Classify(TestData.SampleImages);

        Assert.That(seenThreads, Is.EqualTo(1), "the hook runs after the library's own settings");
        Assert.That(b.Select(p => p.ClassIndex), Is.EqualTo(a.Select(p => p.ClassIndex)));
        Assert.That(b.Select(p => p.Score), Is.EqualTo(a.Select(p => p.Score)).Within(1e-4f));
    }

    [Test]
    public void AnExecutionProviderThatIsNotThereFailsWithOnnxRuntimesOwnError()
    {
        var options = new OnnxClassifierOptions { ConfigureSession = session => session.AppendExecutionProvider("NoSuchProvider") };

        Assert.That(() => OnnxImageClassifier.Create(options), Throws.InstanceOf<OnnxRuntimeException>().With.Message.Contains("NoSuchProvider"));
    }
}
