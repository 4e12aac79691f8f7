using SimClrV2.Sophon.Decode;
using SimClrV2.Sophon.Pipeline;
using SimClrV2.Sophon.Results;
using SimClrV2.Sophon.Tests.TestSupport;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;

namespace SimClrV2.Sophon.Tests.Pipeline;

/// <summary>Encoded images in memory and single paths, the way a user reaches for them.</summary>
public class EncodedInputTests
{
    private static ImageClassifier Create() =>
        new(new FakeEngine(batchSize: 4), new ClassifierOptions { Preprocessing = FakeEngine.RawOverride, Labels = TestData.Cifar10Labels });

    private static byte[] SolidPng(int classIndex)
    {
        using var image = new Image<Rgb24>(8, 8, new Rgb24((byte)(classIndex * 20), 0, 0));
        using var stream = new MemoryStream();
        image.SaveAsPng(stream);
        return stream.ToArray();
    }

    [Test]
    public void EncodedBytesAreClassifiedLikeTheSameImageFromAFile()
    {
        using var dir = new TempDir();
        byte[] png = SolidPng(6);
        string file = dir.File("six.png");
        File.WriteAllBytes(file, png);
        using ImageClassifier classifier = Create();

        Prediction fromArray = classifier.Classify(png);
        Prediction fromMemory = classifier.Classify(new ReadOnlyMemory<byte>(png), "six.png");
        Prediction fromInput = classifier.Classify([ImageInput.FromBytes(png, "six.png")])[0];
        Prediction fromFile = classifier.Classify(file)[0];

        Assert.That(new[] { fromArray, fromMemory, fromInput, fromFile }.Select(p => p.ClassIndex), Is.All.EqualTo(6));
        Assert.That(fromMemory.TopK, Is.EqualTo(fromFile.TopK));
        Assert.That(fromArray.Source, Is.EqualTo("bytes"));
        Assert.That(fromInput.Source, Is.EqualTo("six.png"));
    }

    [Test]
    public void CorruptBytesAreAnErrorEntryAndTheOthersInTheRunAreKept()
    {
        using ImageClassifier classifier = Create();

        IReadOnlyList<Prediction> predictions = classifier.Classify([ImageInput.FromBytes(SolidPng(2), "a"), ImageInput.FromBytes(new byte[] { 1, 2, 3 }, "broken"), ImageInput.FromBytes(SolidPng(7), "c")]);

        Assert.That(predictions.Select(p => p.ClassIndex), Is.EqualTo(new[] { 2, -1, 7 }));
        Assert.That(predictions[1].ErrorKind, Is.EqualTo(PredictionErrorKind.InvalidImage));
        Assert.That(predictions[1].Error, Does.Contain("broken"));
        Assert.That(classifier.Classify(ReadOnlyMemory<byte>.Empty).Succeeded, Is.False, "no bytes: an error entry, not an exception");
    }

    [Test]
    public void DecodeToImageGivesTheImageTheClassifierSeesAndRefusesWhatItRefuses()
    {
        using Image<Rgb24> image = ImageInput.FromBytes(SolidPng(4), "four.png").DecodeToImage();

        Assert.That((image.Width, image.Height), Is.EqualTo((8, 8)));
        Assert.That(image[3, 5], Is.EqualTo(new Rgb24(80, 0, 0)));
        Assert.That(() => ImageInput.FromBytes(new byte[] { 1, 2, 3 }, "broken").DecodeToImage(), Throws.TypeOf<InvalidDataException>());
        Assert.That(() => ImageInput.FromBytes(SolidPng(4), "big").DecodeToImage(new DecodeOptions { MaxPixels = 10 }), Throws.TypeOf<InvalidDataException>().With.Message.Contains("MaxPixels"));
    }

    [Test]
    public async Task ClassifyAsyncOverOnePathWalksTheFolderInOrder()
    {
        using var dir = new TempDir();
        File.WriteAllBytes(dir.File("a.png"), SolidPng(1));
        File.WriteAllBytes(dir.File("b.png"), SolidPng(8));
        await using ImageClassifier classifier = Create();

        var predictions = new List<Prediction>();
        await foreach (Prediction p in classifier.ClassifyAsync(dir.Path))
        {
            predictions.Add(p);
        }

        Assert.That(predictions.Select(p => (p.Source, p.ClassIndex)), Is.EqualTo(new[] { ("a.png", 1), ("b.png", 8) }));
        var missing = new List<Prediction>();
        await foreach (Prediction p in classifier.ClassifyAsync(Path.Combine(dir.Path, "nothing-here")))
        {
            missing.Add(p);
        }

        Assert.That(missing.Single().ErrorKind, Is.EqualTo(PredictionErrorKind.NotFound));
    }
}
