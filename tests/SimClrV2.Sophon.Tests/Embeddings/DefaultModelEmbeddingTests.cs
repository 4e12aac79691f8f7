using SimClrV2.Sophon.Decode;
using SimClrV2.Sophon.Decode.Cifar;
using SimClrV2.Sophon.OnnxRuntime;
using SimClrV2.Sophon.Pipeline;
using SimClrV2.Sophon.Results;
using SimClrV2.Sophon.Tests.TestSupport;

namespace SimClrV2.Sophon.Tests.Embeddings;

/// <summary>The shipped default model gained its embedding outputs by a graph edit: its predictions are the original export's.</summary>
public class DefaultModelEmbeddingTests
{
    [Test]
    public void TheEmbeddingOutputsLeaveEveryPredictionAndScoreAsTheOriginalModelGaveThem()
    {
        string original = TestData.RequireShared("models", "simclrv2-r18w025-cifar10.onnx");
        IReadOnlyList<ImageInput> images = CifarDataset.ReadPickle(TestData.RequireShared("data", "cifar10", "test_batch")).ToInputs().Take(2000).ToList();
        using var edited = new OnnxImageClassifier(new OnnxClassifierOptions { ModelPath = TestData.DefaultModel });
        using var before = new OnnxImageClassifier(new OnnxClassifierOptions { ModelPath = original, ManifestPath = Path.ChangeExtension(TestData.DefaultModel, ".manifest.json"), Embedding = "none" });

        IReadOnlyList<Prediction> after = edited.Classify(images), then = before.Classify(images);

        Assert.That(edited.EmbeddingName, Is.EqualTo("projection"));
        Assert.That(before.EmbeddingName, Is.Null);
        Assert.That(after.Select(p => p.ClassIndex), Is.EqualTo(then.Select(p => p.ClassIndex)));
        Assert.That(after.Select(p => p.Score), Is.EqualTo(then.Select(p => p.Score)).Within(1e-6f));
    }
}
