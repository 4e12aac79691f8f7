using System.Diagnostics;
using SimClrV2.Sophon.Decode;
using SimClrV2.Sophon.Infer;
using SimClrV2.Sophon.Pipeline;
using SimClrV2.Sophon.Preprocess;
using SimClrV2.Sophon.Results;
using SimClrV2.Sophon.Tests.TestSupport;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;

namespace SimClrV2.Sophon.Tests.Pipeline;

/// <summary>
/// Classify takes what users have (paths in any sequence, ImageSharp images, streams, pixels), and
/// one rule holds for every bad input: an error entry in its place, with a typed kind.
/// </summary>
public class ImageClassifierInputsTests
{
    private static ImageClassifier Create(FakeEngine engine, DecodeOptions? decode = null, IImagePreprocessor? preprocessor = null) =>
        new(engine, new ClassifierOptions { Preprocessing = FakeEngine.RawOverride, Labels = TestData.Cifar10Labels, Decode = decode }, ownsEngine: true, preprocessor);

    private static Image<Rgb24> Solid(int k) => new(4, 4, new Rgb24((byte)(k * 20), 0, 0));

    [Test]
    public void PathsInAnySequenceKeepTheirOrderAndAMissingPathIsAnErrorEntry()
    {
        using var dir = new TempDir();
        string a = WriteSolid(dir.File("a.png"), 3);
        string b = WriteSolid(dir.File("b.png"), 7);
        string missing = dir.File("missing.png");
        using ImageClassifier classifier = Create(new FakeEngine(batchSize: 2));

        var paths = new List<string> { a, missing, b };
        IReadOnlyList<Prediction> fromList = classifier.Classify(paths);
        IReadOnlyList<Prediction> fromArray = classifier.Classify(a, missing, b);
        IReadOnlyList<Prediction> fromQuery = classifier.Classify(paths.Where(_ => true));

        foreach (IReadOnlyList<Prediction> predictions in new[] { fromList, fromArray, fromQuery })
        {
            Assert.That(predictions.Select(p => (p.Source, p.ClassIndex)), Is.EqualTo(new[] { ("a.png", 3), ("missing.png", -1), ("b.png", 7) }), "a missing file is named as an existing one would be");
            Assert.That(predictions.Select(p => p.ErrorKind), Is.EqualTo(new[] { PredictionErrorKind.None, PredictionErrorKind.NotFound, PredictionErrorKind.None }));
            Assert.That(predictions[1].Error, Does.Contain("does not exist").And.Contain(missing), "the error keeps the whole path");
        }
    }

    [Test]
    public async Task PathsStreamAsynchronouslyWithTheSameRule()
    {
        using var dir = new TempDir();
        string a = WriteSolid(dir.File("a.png"), 2);
        using ImageClassifier classifier = Create(new FakeEngine(batchSize: 4));

        var predictions = new List<Prediction>();
        await foreach (Prediction p in classifier.ClassifyAsync(new[] { dir.File("nope.jpg"), a }.AsEnumerable()))
        {
            predictions.Add(p);
        }

        Assert.That(predictions.Select(p => p.ErrorKind), Is.EqualTo(new[] { PredictionErrorKind.NotFound, PredictionErrorKind.None }));
        Assert.That(predictions[1].ClassIndex, Is.EqualTo(2));
    }

    [Test]
    public void ImageSharpImagesAreClassifiedInOrderAndANullOneIsAnErrorEntry()
    {
        using Image<Rgb24> one = Solid(1);
        using Image<Rgb24> five = Solid(5);
        using ImageClassifier classifier = Create(new FakeEngine(batchSize: 4));

        IReadOnlyList<Prediction> predictions = classifier.Classify(new List<Image<Rgb24>> { one, null!, five });

        Assert.That(predictions.Select(p => (p.Source, p.ClassIndex)), Is.EqualTo(new[] { ("image #0", 1), ("image #1", -1), ("image #2", 5) }));
        Assert.That(predictions[1].ErrorKind, Is.EqualTo(PredictionErrorKind.InvalidInput));
        Assert.That(one.Width, Is.EqualTo(4), "the caller's image is neither changed nor disposed");
    }

    [Test]
    public void StreamsAreClassifiedAndBadOnesAreErrorEntriesOfTheirKind()
    {
        using var good = new MemoryStream();
        using (Image<Rgb24> image = Solid(6))
        {
            image.SaveAsPng(good);
        }

        good.Position = 0;
        using var corrupt = new MemoryStream([0x89, (byte)'P', (byte)'N', (byte)'G', 1, 2, 3]);
        var closed = new MemoryStream();
        closed.Dispose();
        using ImageClassifier classifier = Create(new FakeEngine(batchSize: 2));

        IReadOnlyList<Prediction> predictions = classifier.Classify(new Stream[] { good, corrupt, closed, null! });

        Assert.That(predictions.Select(p => p.ErrorKind), Is.EqualTo(new[]
        {
            PredictionErrorKind.None, PredictionErrorKind.InvalidImage, PredictionErrorKind.Unreadable, PredictionErrorKind.InvalidInput,
        }));
        Assert.That(predictions[0].ClassIndex, Is.EqualTo(6));
        Assert.That(predictions.Skip(1).Select(p => p.Source), Is.EqualTo(new[] { "stream #1", "stream #2", "stream #3" }));
    }

    [Test]
    public void EveryFailureCarriesItsKind()
    {
        if (!OperatingSystem.IsLinux())
        {
            Assert.Ignore("The FIFO case needs Linux's mkfifo.");
        }

        using var dir = new TempDir();
        string fifo = dir.File("pipe.png");
        using (Process mkfifo = Process.Start("mkfifo", [fifo]))
        {
            mkfifo.WaitForExit();
        }

        File.WriteAllBytes(dir.File("corrupt.png"), [0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A, 0, 0]);
        string big = TestData.WritePng(dir.Path, "big.png", 20, 20, seed: 1);
        var engine = new FakeEngine(batchSize: 8) { NanForClass = 9 };
        using ImageClassifier classifier = Create(engine, new DecodeOptions { MaxPixels = 100 });

        List<ImageInput> inputs =
        [
            ImageInput.FromFile(dir.File("absent.png")),
            ImageInput.FromFile(fifo),
            ImageInput.FromFile(dir.File("corrupt.png")),
            ImageInput.FromFile(big),
            null!,
            TestData.SolidImage("overflow", 4, 4, 9 * 20, 0, 0),
            TestData.SolidImage("fine", 4, 4, 4 * 20, 0, 0),
        ];
        IReadOnlyList<Prediction> predictions = classifier.Classify(inputs);

        Assert.That(predictions.Select(p => p.ErrorKind), Is.EqualTo(new[]
        {
            PredictionErrorKind.NotFound, PredictionErrorKind.Unreadable, PredictionErrorKind.InvalidImage, PredictionErrorKind.TooLarge,
            PredictionErrorKind.InvalidInput, PredictionErrorKind.InvalidOutput, PredictionErrorKind.None,
        }));
        Assert.That(predictions.Where(p => p.ErrorKind != PredictionErrorKind.None).Select(p => p.Error), Has.All.Not.Empty);
        Assert.That(predictions[^1].Error, Is.Null);
    }

    [Test]
    public void AFailedBatchAndAFailedPreprocessingHaveTheirKinds()
    {
        var engine = new FakeEngine(batchSize: 2) { FailRun = n => n == 1 ? new InvalidOperationException("device lost") : null };
        using ImageClassifier classifier = Create(engine, preprocessor: new FailingPreprocessor(failClass: 4));

        IReadOnlyList<Prediction> predictions = classifier.Classify(FakeEngine.Images(1, 2, 4, 3));

        Assert.That(predictions.Select(p => p.ErrorKind), Is.EqualTo(new[]
        {
            PredictionErrorKind.Inference, PredictionErrorKind.Inference, PredictionErrorKind.Preprocessing, PredictionErrorKind.None,
        }));
        Assert.That(predictions[0].Error, Does.Contain("device lost"));
    }

    [Test]
    public void ErrorInputsCarryTheirKind()
    {
        Assert.That(() => ImageInput.FromError("x", "broken", PredictionErrorKind.None), Throws.TypeOf<ArgumentOutOfRangeException>().With.Message.Contains("kind"));
        using ImageClassifier classifier = Create(new FakeEngine(batchSize: 2));
        IReadOnlyList<Prediction> predictions = classifier.Classify(
            [ImageInput.FromError("a", new FileNotFoundException("gone")), ImageInput.FromError("b", new UnauthorizedAccessException("denied")), ImageInput.FromError("c", "broken")]);
        Assert.That(predictions.Select(p => (p.ErrorKind, p.Error)), Is.EqualTo(new[]
        {
            (PredictionErrorKind.NotFound, "gone"), (PredictionErrorKind.Unreadable, "denied"), (PredictionErrorKind.InvalidInput, "broken"),
        }));
    }

    private static string WriteSolid(string path, int k)
    {
        using Image<Rgb24> image = Solid(k);
        image.SaveAsPng(path);
        return path;
    }

    /// <summary>The CPU preprocessor, failing on images of one class (as a device preprocessor fails on an image it cannot take).</summary>
    private sealed class FailingPreprocessor(int failClass) : IImagePreprocessor
    {
        private readonly CpuPreprocessor _inner = new(FakeEngine.Raw, new EngineInput("x", TensorElementType.Float32, 3, 4, 4));

        public string Name => "failing";

        public PreprocessingOptions Options => FakeEngine.Raw;

        public void Process(DecodedImage image, InferenceBatch batch, int slot)
        {
            if (TestData.Interleaved(image)[0] == failClass * 20)
            {
                throw new InvalidOperationException("this image cannot be preprocessed");
            }

            _inner.Process(image, batch, slot);
        }
    }
}
