using Microsoft.Extensions.AI;
using SimClrV2.Sophon.OnnxRuntime;
using SimClrV2.Sophon.Pipeline;
using SimClrV2.Sophon.Results;
using SimClrV2.Sophon.Tests.TestSupport;

namespace SimClrV2.Sophon.Tests.Embeddings;

/// <summary>The classifier as a Microsoft.Extensions.AI embedding generator, for vector stores.</summary>
public class ImageEmbeddingGeneratorTests
{
    private static readonly string[] Photos = ["chelsea.png", "horse.png", "rocket.jpg"];

    [Test]
    public async Task ImagesAsDataContentGetTheVectorsEmbedGives()
    {
        using var classifier = new OnnxImageClassifier(new OnnxClassifierOptions { ModelPath = TestData.DefaultModel });
        using IEmbeddingGenerator<DataContent, Embedding<float>> generator = new ImageEmbeddingGenerator(classifier, "simclrv2-r18w025-cifar10");
        DataContent[] images = [.. Photos.Select(p => new DataContent(File.ReadAllBytes(Path.Combine(TestData.SampleImages, p)), p.EndsWith(".jpg", StringComparison.Ordinal) ? "image/jpeg" : "image/png") { Name = p })];

        GeneratedEmbeddings<Embedding<float>> embeddings = await generator.GenerateAsync(images);
        IReadOnlyList<ImageEmbedding> direct = classifier.Embed([.. Photos.Select(p => Path.Combine(TestData.SampleImages, p))]);

        Assert.That(embeddings, Has.Count.EqualTo(3));
        Assert.That(embeddings.Select(e => e.Vector.ToArray()), Is.EqualTo(direct.Select(e => e.Vector.ToArray())));
        Assert.That(embeddings.Select(e => (e.ModelId, e.Dimensions)), Is.All.EqualTo(("simclrv2-r18w025-cifar10", 128)));
        Assert.That(generator.GetService<EmbeddingGeneratorMetadata>()?.DefaultModelId, Is.EqualTo("simclrv2-r18w025-cifar10"));
        Assert.That(generator.GetService<IImageClassifier>(), Is.SameAs(classifier));
    }

    [Test]
    public void AnImageThatCannotBeEmbeddedFailsTheCallNamingIt()
    {
        using var classifier = new OnnxImageClassifier(new OnnxClassifierOptions { ModelPath = TestData.DefaultModel });
        using var generator = new ImageEmbeddingGenerator(classifier);
        DataContent[] images = [new(File.ReadAllBytes(Path.Combine(TestData.SampleImages, "horse.png")), "image/png"), new(new byte[] { 1, 2, 3 }, "image/png") { Name = "junk.png" }];

        Assert.That(() => generator.GenerateAsync(images), Throws.TypeOf<InvalidDataException>().With.Message.Contains("1 of 2 images").And.Message.Contains("junk.png"));
    }

    [Test]
    public void AClassifierWithoutAnEmbeddingIsRefused()
    {
        using var classifier = new OnnxImageClassifier(new OnnxClassifierOptions { ModelPath = TestData.DefaultModel, Embedding = "none" });

        Assert.That(() => new ImageEmbeddingGenerator(classifier), Throws.InvalidOperationException.With.Message.Contains("fetches no embedding"));
    }
}
