using SimClrV2.Sophon.Decode;
using SimClrV2.Sophon.OnnxRuntime;
using SimClrV2.Sophon.Pipeline;
using SimClrV2.Sophon.Results;
using SimClrV2.Sophon.Tests.TestSupport;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Formats.Jpeg;
using SixLabors.ImageSharp.PixelFormats;
using SixLabors.ImageSharp.Processing;

namespace SimClrV2.Sophon.Tests.Decode;

/// <summary>
/// JPEGs much larger than the network decoded at 1/2, 1/4 or 1/8 scale through libturbojpeg, then
/// resized as always; without it (the fallback lane hides it) every JPEG decodes at full size with ImageSharp.
/// </summary>
public class ReducedJpegDecodeTests
{
    private static readonly string Rocket = Path.Combine(TestData.SampleImages, "rocket.jpg");

    private static DecodeOptions For(int width, int height, bool reduced = true) => new DecodeOptions { TargetWidth = width, TargetHeight = height, ReducedJpegDecode = reduced };

    [TestCase(16, 12, 80, 54)]
    [TestCase(40, 26, 160, 107)]
    [TestCase(32, 32, 160, 107)]
    [TestCase(80, 53, 320, 214)]
    [TestCase(120, 80, 640, 427)]
    public void TheLargestReductionThatKeepsBothSidesAtLeastThreeTimesTheTargetIsUsed(int minWidth, int minHeight, int width, int height)
    {
        TestData.RequireTurboJpeg();
        using DecodedImage image = ImageDecoding.DecodeFile(Rocket, For(minWidth, minHeight));

        Assert.That((image.Width, image.Height), Is.EqualTo((width, height)), "rocket.jpg is 640x427");
        Assert.That(JpegDecoding.Reduction(640, 427, minWidth, minHeight, 3), Is.EqualTo(640 / width));
    }

    [TestCase(1, 80, 54)]
    [TestCase(3, 160, 107)]
    [TestCase(4, 320, 214)]
    [TestCase(8, 640, 427)]
    public void TheOversampleTradesSizeForSpeed(int oversample, int width, int height)
    {
        TestData.RequireTurboJpeg();
        using DecodedImage image = ImageDecoding.DecodeFile(Rocket, new DecodeOptions { TargetWidth = 32, TargetHeight = 32, ReducedJpegOversample = oversample });

        Assert.That((image.Width, image.Height), Is.EqualTo((width, height)));
        Assert.That(() => (new DecodeOptions { ReducedJpegOversample = 0 }).Validate(), Throws.InstanceOf<ArgumentOutOfRangeException>());
    }

    [Test]
    public void TheOptionTurnsItOffAndOtherFormatsAreNeverReduced()
    {
        using DecodedImage full = ImageDecoding.DecodeFile(Rocket, For(32, 32, reduced: false));
        using DecodedImage png = ImageDecoding.DecodeFile(Path.Combine(TestData.SampleImages, "chelsea.png"), For(32, 32));
        using var reference = Image.Load<Rgb24>(Path.Combine(TestData.SampleImages, "chelsea.png"));

        Assert.That((full.Width, full.Height), Is.EqualTo((640, 427)));
        Assert.That((png.Width, png.Height), Is.EqualTo((reference.Width, reference.Height)));
    }

    [Test]
    public void ReducedPixelsAreTheFullDecodeDownscaled()
    {
        TestData.RequireTurboJpeg();
        using DecodedImage reduced = ImageDecoding.DecodeFile(Rocket, For(16, 12));
        using var full = Image.Load<Rgb24>(Rocket);
        full.Mutate(x => x.Resize(reduced.Width, reduced.Height, KnownResamplers.Box));
        byte[] expected = new byte[reduced.Width * reduced.Height * 3];
        full.CopyPixelDataTo(expected);

        double meanError = expected.Zip(reduced.Pixels.ToArray(), (e, a) => Math.Abs(e - a)).Average();
        Assert.That(meanError, Is.LessThan(4.0), "an 8x8 DCT-domain reduction is close to an 8x8 box average");
    }

    [Test]
    public void WithoutLibturbojpegJpegsDecodeAtFullSizeWithImageSharpAndSayWhatToInstall()
    {
        Assume.That(TurboJpeg.IsAvailable, Is.False, "runs where libturbojpeg is missing or hidden (SIMCLRV2_TURBOJPEG_PATH=none)");

        using DecodedImage image = ImageDecoding.DecodeFile(Rocket, For(32, 32));
        using var reference = Image.Load<Rgb24>(Rocket);
        byte[] expected = new byte[reference.Width * reference.Height * 3];
        reference.CopyPixelDataTo(expected);

        Assert.That((image.Width, image.Height), Is.EqualTo((640, 427)), "full size");
        using Image<Rgb24> decoded = image.ToImage();
        byte[] actual = new byte[expected.Length];
        decoded.CopyPixelDataTo(actual);
        Assert.That(actual, Is.EqualTo(expected), "ImageSharp's decode");
        Assert.That(TurboJpeg.Unavailable, Does.Contain("libturbojpeg0").Or.Contain("=none"));
    }

    [Test]
    public void TheClassifierSaysWhichPackageIsMissingOnlyWhenItIs()
    {
        using var log = new SimClrV2.Sophon.Tests.TestSupport.CapturingLoggerProvider();
        using (OnnxImageClassifier.Create(new OnnxClassifierOptions { ModelPath = TestData.DefaultModel, LoggerFactory = log }))
        {
        }

        var warnings = log.Entries.Where(e => e.EventId.Id == SimClrV2.Sophon.Diagnostics.SimClrV2EventIds.JpegDecoderMissing).ToList();
        if (TurboJpeg.IsAvailable)
        {
            Assert.That(warnings, Is.Empty);
        }
        else
        {
            Assert.That(warnings, Has.Count.EqualTo(1));
            Assert.That(warnings[0].Message, Does.Contain("full size with ImageSharp").And.Contain(TurboJpeg.Unavailable!));
        }
    }

    [Test]
    public void AStreamLibturbojpegFailsOnDoesNotSpoilTheNextDecodeOnTheSameThread()
    {
        TestData.RequireTurboJpeg();
        byte[] rocket = File.ReadAllBytes(Rocket);
        var damaged = new List<byte[]>();
        damaged.Add([.. rocket[..20], .. Enumerable.Repeat((byte)0xA5, 200)]);
        for (int cut = 10; cut < 2000; cut += 37)
        {
            damaged.Add(rocket[..cut]); // header and scan cut short (ImageDecoding refuses these first; TurboJpeg itself is tested here)
        }

        var random = new Random(3);
        for (int k = 0; k < 60; k++)
        {
            byte[] scrambled = (byte[])rocket.Clone();
            for (int j = 0; j < 30; j++)
            {
                scrambled[random.Next(2, 700)] = (byte)random.Next(256);
            }

            damaged.Add(scrambled);
        }

        var spoiled = new List<int>();
        for (int k = 0; k < damaged.Count; k++)
        {
            try
            {
                if (TurboJpeg.TryDecode(damaged[k], 640, 427, 1, out byte[] pixels, out _, out _))
                {
                    System.Buffers.ArrayPool<byte>.Shared.Return(pixels);
                }
            }
            catch (InvalidDataException)
            {
            }

            if (TurboJpeg.TryDecode(rocket, 640, 427, 4, out byte[] rented, out int width, out int height) && (width, height) == (160, 107))
            {
                System.Buffers.ArrayPool<byte>.Shared.Return(rented);
            }
            else
            {
                spoiled.Add(k);
            }
        }

        Assert.That(spoiled, Is.Empty, "after a failure the thread's decompressor is replaced, not left in libjpeg's error state (which sent later JPEGs to ImageSharp)");
    }

    [Test]
    public void LibturbojpegDecodesAtFullSizeCloseToImageSharp()
    {
        TestData.RequireTurboJpeg();

        using DecodedImage image = ImageDecoding.DecodeFile(Rocket, For(32, 32, reduced: false));
        using var reference = Image.Load<Rgb24>(Rocket);
        byte[] expected = new byte[reference.Width * reference.Height * 3];
        reference.CopyPixelDataTo(expected);

        Assert.That((image.Width, image.Height), Is.EqualTo((640, 427)));
        int[] differences = expected.Zip(TestData.Interleaved(image), (e, a) => Math.Abs(e - a)).ToArray();
        Assert.That(differences.Average(), Is.LessThan(1.0), "two IDCTs of the same coefficients");
        Assert.That(differences.Max(), Is.LessThanOrEqualTo(16));
        Assert.That(TurboJpeg.LoadedFrom, Does.Contain("turbojpeg"));
    }

    [Test]
    public void ATruncatedOrCorruptJpegIsStillOneErrorEntry()
    {
        using var dir = new TempDir();
        byte[] bytes = File.ReadAllBytes(Rocket);
        string truncated = dir.File("truncated.jpg");
        File.WriteAllBytes(truncated, bytes[..(bytes.Length / 2)]);
        byte[] scrambled = (byte[])bytes.Clone();
        for (int i = bytes.Length / 3; i < bytes.Length / 3 + 400; i++)
        {
            scrambled[i] = (byte)(i * 7);
        }

        string corrupt = dir.File("corrupt.jpg");
        File.WriteAllBytes(corrupt, scrambled);
        using ImageClassifier classifier = OnnxImageClassifier.Create(new OnnxClassifierOptions { ModelPath = TestData.DefaultModel });

        IReadOnlyList<Prediction> predictions = classifier.Classify([ImageInput.FromFile(truncated), ImageInput.FromFile(corrupt), ImageInput.FromFile(Rocket)]);

        Assert.That(predictions, Has.Count.EqualTo(3));
        Assert.That(predictions[0].Error, Does.Contain("truncated"));
        Assert.That(predictions[2].Succeeded, Is.True);
        TestContext.Progress.WriteLine($"scrambled JPEG: {(predictions[1].Succeeded ? "decoded (the scan data stays decodable)" : predictions[1].Error)}");
    }

    [Test]
    [Category("Dataset")]
    public void AccuracyOnUpscaledCifarJpegsStaysWithinAThirdOfAPointOfFullDecode()
    {
        TestData.RequireTurboJpeg();
        using var dir = new TempDir();
        (List<ImageInput> jpegs, List<int> labels) = TestData.UpscaledCifarJpegs(dir.Path, 10_000, 1, 256, 256);
        int count = jpegs.Count;
        double Accuracy(bool reduced) => TestData.DefaultModelAccuracy(jpegs, labels, reduced);

        double full = Accuracy(false), reducedAccuracy = Accuracy(true);
        TestContext.Progress.WriteLine($"CIFAR-10 upscaled to 256x256 JPEG (q90), {count} images: full decode {full:F2} %, reduced decode {reducedAccuracy:F2} %");
        Assert.That(reducedAccuracy, Is.EqualTo(full).Within(0.3));
    }
}
