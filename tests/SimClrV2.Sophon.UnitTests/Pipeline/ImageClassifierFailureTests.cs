using SimClrV2.Sophon.Decode;
using SimClrV2.Sophon.Pipeline;
using SimClrV2.Sophon.Preprocess;
using SimClrV2.Sophon.Results;
using SimClrV2.Sophon.Tests.TestSupport;

namespace SimClrV2.Sophon.Tests.Pipeline;

/// <summary>Every entry survives: a bad output row, a failed batch buffer or a broken input sequence costs only its own entries.</summary>
public class ImageClassifierFailureTests
{
    private static readonly PreprocessingOptions Raw = FakeEngine.Raw;

    private static ImageClassifier Create(FakeEngine engine) =>
        new(engine, new ClassifierOptions { Preprocessing = FakeEngine.RawOverride, Labels = TestData.Cifar10Labels });

    private static List<ImageInput> Images(params int[] classes) => FakeEngine.Images(classes);

    [Test]
    public void ANonFiniteOutputBecomesAnErrorEntryForThatImageOnly()
    {
        var engine = new FakeEngine(batchSize: 4) { NanForClass = 0 };
        using ImageClassifier classifier = Create(engine);

        IReadOnlyList<Prediction> predictions = classifier.Classify(Images(3, 0, 5, 0, 7));

        Assert.That(predictions.Select(p => p.ClassIndex), Is.EqualTo(new[] { 3, -1, 5, -1, 7 }));
        Assert.That(predictions[1].Error, Does.Contain("not finite").And.Contain("NaN"));
        Assert.That(predictions[1].Source, Is.EqualTo("img1"));
        Assert.That(engine.Outstanding, Is.Zero);
    }

    [Test]
    public void AFailedBatchBufferCostsOnlyThatBatchsEntries()
    {
        var engine = new FakeEngine(batchSize: 2) { FailRent = n => n == 2 ? new OutOfMemoryException("device memory exhausted") : null };
        using ImageClassifier classifier = Create(engine);

        IReadOnlyList<Prediction> predictions = classifier.Classify(Images(1, 2, 3, 4, 5, 6));

        Assert.That(predictions.Select(p => p.ClassIndex), Is.EqualTo(new[] { 1, 2, -1, -1, 5, 6 }));
        Assert.That(predictions[2].Error, Does.Contain("no batch buffer").And.Contain("device memory exhausted"));
        Assert.That(engine.Outstanding, Is.Zero);
    }

    [Test]
    public void ANullInputIsAnErrorEntry()
    {
        var engine = new FakeEngine(batchSize: 2);
        using ImageClassifier classifier = Create(engine);
        List<ImageInput> inputs = Images(1, 2);
        inputs.Insert(1, null!);

        IReadOnlyList<Prediction> predictions = classifier.Classify(inputs);

        Assert.That(predictions.Select(p => p.ClassIndex), Is.EqualTo(new[] { 1, -1, 2 }));
        Assert.That(predictions[1].Error, Does.Contain("input 1 is null"));
    }

    [Test]
    public void AnInputFromAnErrorKeepsItsPlace()
    {
        var engine = new FakeEngine(batchSize: 4);
        using ImageClassifier classifier = Create(engine);
        List<ImageInput> inputs = Images(1, 2);
        inputs.Insert(1, ImageInput.FromError("gone.png", "'gone.png' does not exist"));

        IReadOnlyList<Prediction> predictions = classifier.Classify(inputs);

        Assert.That(predictions.Select(p => (p.Source, p.ClassIndex)), Is.EqualTo(new[] { ("img0", 1), ("gone.png", -1), ("img1", 2) }));
        Assert.That(predictions[1].Error, Is.EqualTo("'gone.png' does not exist"));
    }

    [Test]
    public void DecodeLimitsFromTheOptionsReachEveryInput()
    {
        var engine = new FakeEngine(batchSize: 2);
        using var classifier = new ImageClassifier(engine, new ClassifierOptions { Preprocessing = FakeEngine.RawOverride, Decode = new DecodeOptions { MaxPixels = 100 } });
        using var png = new MemoryStream();
        using (var image = new SixLabors.ImageSharp.Image<SixLabors.ImageSharp.PixelFormats.Rgb24>(20, 20))
        {
            SixLabors.ImageSharp.ImageExtensions.SaveAsPng(image, png);
        }

        png.Position = 0;
        IReadOnlyList<Prediction> predictions = classifier.Classify([ImageInput.FromStream(png, "big.png"), .. Images(2)]);

        Assert.That(predictions[0].Error, Does.Contain("20x20 = 400 pixels").And.Contain("MaxPixels (100)"));
        Assert.That(predictions[1].ClassIndex, Is.EqualTo(2));
    }

    [Test]
    public void InvalidDecodeLimitsAreRefusedAtCreation()
    {
        Assert.That(
            () => new ImageClassifier(new FakeEngine(batchSize: 2), new ClassifierOptions { Preprocessing = FakeEngine.RawOverride, Decode = new DecodeOptions { MaxPixels = 0 } }),
            Throws.TypeOf<ArgumentOutOfRangeException>().With.Message.Contains("MaxPixels"));
    }
}
