using System.Numerics.Tensors;
using SimClrV2.Sophon.Decode;
using SimClrV2.Sophon.Embeddings;
using SimClrV2.Sophon.OnnxRuntime;
using SimClrV2.Sophon.Pipeline;
using SimClrV2.Sophon.Results;
using SimClrV2.Sophon.Tests.TestSupport;

namespace SimClrV2.Sophon.Tests.Embeddings;

/// <summary>Embeddings come from the same run as the logits: the default model's manifest names them, each prediction carries the L2-normalised vector.</summary>
public class EmbedTests
{
    private static readonly string[] Photos = Directory.GetFiles(TestData.SampleImages).Where(f => ImageInputs.ImageExtensions.Contains(Path.GetExtension(f), StringComparer.OrdinalIgnoreCase)).Order(StringComparer.Ordinal).ToArray();

    [Test]
    public void TheDefaultModelFetchesItsProjectionEmbeddingWithEveryPrediction()
    {
        using var classifier = new OnnxImageClassifier(new OnnxClassifierOptions { ModelPath = TestData.DefaultModel });

        IReadOnlyList<Prediction> predictions = classifier.Classify(Photos);

        Assert.That(classifier.EmbeddingName, Is.EqualTo("projection"));
        Assert.That(predictions, Is.All.Matches<Prediction>(p => p.Succeeded && p.EmbeddingName == "projection" && p.Embedding.Length == 128));
        Assert.That(predictions.Select(p => TensorPrimitives.Norm(p.Embedding.Span)), Is.All.EqualTo(1f).Within(1e-5f));
    }

    [Test]
    public void EmbedGivesOneEntryPerInputInOrderWithItsErrorAndTheSameClassification()
    {
        using var classifier = new OnnxImageClassifier(new OnnxClassifierOptions { ModelPath = TestData.DefaultModel, Embedding = "h" });
        List<ImageInput> inputs = [ImageInput.FromFile(Photos[0]), ImageInput.FromBytes(new byte[] { 1, 2, 3 }, "junk.png"), ImageInput.FromFile(Photos[1])];

        IReadOnlyList<ImageEmbedding> embeddings = classifier.Embed(inputs);
        IReadOnlyList<Prediction> predictions = classifier.Classify(inputs);

        Assert.That(embeddings.Select(e => (e.Source, e.Succeeded, e.EmbeddingName)), Is.EqualTo(new[]
        {
            (Path.GetFileName(Photos[0]), true, (string?)"h"),
            ("junk.png", false, null),
            (Path.GetFileName(Photos[1]), true, "h"),
        }));
        Assert.That(embeddings[1].ErrorKind, Is.EqualTo(PredictionErrorKind.InvalidImage));
        Assert.That(embeddings[0].Prediction.ClassIndex, Is.EqualTo(predictions[0].ClassIndex));
        Assert.That(embeddings[0].Vector.ToArray(), Is.EqualTo(predictions[0].Embedding.ToArray()), "the same image gives the same vector in either call");
    }

    [Test]
    public void TheTwoEmbeddingsDifferAndBothDescribeTheImage()
    {
        using var projection = new OnnxImageClassifier(new OnnxClassifierOptions { ModelPath = TestData.DefaultModel });
        using var encoder = new OnnxImageClassifier(new OnnxClassifierOptions { ModelPath = TestData.DefaultModel, Embedding = "h" });

        float[][] p = [.. projection.Embed(Photos).Select(e => e.Vector.ToArray())];
        float[][] h = [.. encoder.Embed(Photos).Select(e => e.Vector.ToArray())];

        Assert.That(p[0], Is.Not.EqualTo(h[0]));
        Assert.That(TensorPrimitives.Dot(p[0], p[0]), Is.EqualTo(1f).Within(1e-5f));
        Assert.That(TensorPrimitives.Dot(p[0], p[1]), Is.LessThan(0.9999f), "different photos, different vectors");
    }

    [Test]
    public void NoneFetchesNoEmbeddingAndEmbedSaysWhy()
    {
        using var classifier = new OnnxImageClassifier(new OnnxClassifierOptions { ModelPath = TestData.DefaultModel, Embedding = "none" });

        Assert.That(classifier.EmbeddingName, Is.Null);
        Assert.That(classifier.Classify(Photos[0]).Single().Embedding.IsEmpty, Is.True);
        Assert.That(() => classifier.Embed(Photos[0]), Throws.InvalidOperationException.With.Message.Contains("fetches no embedding").And.Message.Contains("ClassifierOptions.Embedding"));
    }

    [Test]
    public void AnEmbeddingTheModelDoesNotHaveIsRefusedNamingItsOutputs()
    {
        Assert.That(
            () => new OnnxImageClassifier(new OnnxClassifierOptions { ModelPath = TestData.DefaultModel, Embedding = "pool5" }),
            Throws.TypeOf<InvalidDataException>().With.Message.Contains("'pool5'").And.Message.Contains("'projection'").And.Message.Contains("'h'"));
        Assert.That(
            () => new OnnxImageClassifier(new OnnxClassifierOptions { ModelPath = TestData.DefaultModel, Embedding = "logits" }),
            Throws.TypeOf<InvalidDataException>().With.Message.Contains("the logits output"));
    }

    [Test]
    public void AKnnHeadAnswersInsteadOfTheLinearHeadWithAnOutOfDistributionScore()
    {
        KnnClassifier head;
        using (var embedder = new OnnxImageClassifier(new OnnxClassifierOptions { ModelPath = TestData.DefaultModel }))
        {
            head = new KnnClassifier(128, "projection");
            foreach (ImageEmbedding e in embedder.Embed(Photos))
            {
                head.Add(e.Vector.Span, Path.GetFileNameWithoutExtension(e.Source), e.Source);
            }
        }

        head.K = 1;
        using var classifier = new OnnxImageClassifier(new OnnxClassifierOptions { ModelPath = TestData.DefaultModel, KnnHead = head });
        IReadOnlyList<Prediction> predictions = classifier.Classify(Photos);

        Assert.That(classifier.Labels, Is.EqualTo(head.Classes));
        Assert.That(predictions.Select(p => p.Label), Is.EqualTo(Photos.Select(Path.GetFileNameWithoutExtension)), "each photo is its own nearest support image");
        Assert.That(predictions.Select(p => p.Similarity), Is.All.EqualTo(1f).Within(1e-5f));
        using var linear = new OnnxImageClassifier(new OnnxClassifierOptions { ModelPath = TestData.DefaultModel });
        Assert.That(linear.Classify(Photos).Select(p => p.Similarity), Is.All.Null);
    }

    [Test]
    public void AKnnHeadOfAnotherEmbeddingIsRefusedWhenTheClassifierIsMade()
    {
        var head = new KnnClassifier(64, "pool");
        head.Add(Enumerable.Repeat(1f, 64).ToArray(), "a");

        Assert.That(
            () => new OnnxImageClassifier(new OnnxClassifierOptions { ModelPath = TestData.DefaultModel, KnnHead = head, Embedding = "h" }),
            Throws.ArgumentException.With.Message.Contains("'pool' embeddings of 64 values").And.Message.Contains("'h' of 128"));
    }
}
