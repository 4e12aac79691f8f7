using SimClrV2.Sophon.Decode;
using SimClrV2.Sophon.Decode.Cifar;
using SimClrV2.Sophon.Pipeline;
using SimClrV2.Sophon.Results;
using SimClrV2.Sophon.Tests.TestSupport;
using SimClrV2.Sophon.Tpu;
using SimClrV2.Sophon.Tpu.Interop;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Formats.Jpeg;
using SixLabors.ImageSharp.PixelFormats;
using SixLabors.ImageSharp.Processing;

namespace SimClrV2.Sophon.Tests.Tpu;

/// <summary>
/// Hardware JPEG decode (<see cref="PreprocessBackend.DeviceJpeg"/>): JPEG bytes go to the JPU
/// (<c>bmcv_image_jpeg_dec</c>), the YUV image through the VPP and <c>convert_to</c> into the batch;
/// other inputs take the BMCV path in the same run.
/// </summary>
public class DeviceJpegTests : EmulatorTestBase
{
    private static ImageClassifier Create(PreprocessBackend backend) =>
        SophonImageClassifier.Create(new SophonClassifierOptions
        {
            ModelPath = Emulator.Model("fp32", 4),
            Preprocess = backend,
            Decode = new DecodeOptions { ReducedJpegDecode = false }, // both paths decode the full image
        });

    [Test]
    public void AnExifOrientedJpegIsTurnedOnTheHostBeforeDevicePreprocessing()
    {
        using Image<Rgb24> upright = Image.Load<Rgb24>(Path.Combine(TestData.SampleImages, "horse.png"));
        using Image<Rgb24> sideways = upright.Clone(x => x.Rotate(RotateMode.Rotate270));
        sideways.Metadata.ExifProfile = new SixLabors.ImageSharp.Metadata.Profiles.Exif.ExifProfile();
        sideways.Metadata.ExifProfile.SetValue(SixLabors.ImageSharp.Metadata.Profiles.Exif.ExifTag.Orientation, (ushort)6);
        using var uprightJpeg = new MemoryStream();
        using var sidewaysJpeg = new MemoryStream();
        upright.SaveAsJpeg(uprightJpeg, new JpegEncoder { Quality = 95 });
        sideways.SaveAsJpeg(sidewaysJpeg, new JpegEncoder { Quality = 95 });
        using ImageClassifier jpu = Create(PreprocessBackend.DeviceJpeg);

        IReadOnlyList<Prediction> predictions = jpu.Classify([
            ImageInput.FromStream(new MemoryStream(uprightJpeg.ToArray()), "upright.jpg"),
            ImageInput.FromStream(new MemoryStream(sidewaysJpeg.ToArray()), "sideways.jpg")]);

        Assert.That(predictions, Has.All.Matches<Prediction>(p => p.Succeeded));
        Assert.That(predictions[1].ClassIndex, Is.EqualTo(predictions[0].ClassIndex));
        Assert.That(predictions[1].Score, Is.EqualTo(predictions[0].Score).Within(0.05));
    }

    [Test]
    public void ThePhotosClassifyLikeTheCpuPathWithPngsOnTheBmcvPathInTheSameRun()
    {
        IReadOnlyList<ImageInput> photos = ImageInputs.FromFolder(TestData.SampleImages);
        using ImageClassifier cpu = Create(PreprocessBackend.Cpu);
        using ImageClassifier jpu = Create(PreprocessBackend.DeviceJpeg);

        IReadOnlyList<Prediction> expected = cpu.Classify(photos);
        IReadOnlyList<Prediction> actual = jpu.Classify(photos);

        Assert.That(jpu.PreprocessorName, Is.EqualTo("bmcv-jpeg"));
        Assert.That(actual, Has.All.Matches<Prediction>(p => p.Succeeded));
        Assert.That(actual.Select(p => p.ClassIndex), Is.EqualTo(expected.Select(p => p.ClassIndex)));
        Assert.That(actual.Where(p => !p.Source.EndsWith(".jpg", StringComparison.Ordinal)).Select(p => p.Score), Is.EqualTo(expected.Where(p => !p.Source.EndsWith(".jpg", StringComparison.Ordinal)).Select(p => p.Score)).Within(1e-4), "PNGs take the BMCV path");
    }

    [Test]
    public void UpscaledCifarJpegsAgreeWithTheCpuPath()
    {
        string pickle = TestData.RequireShared("data", "cifar10", "test_batch");
        IReadOnlyList<ImageInput> cifar = CifarDataset.ReadPickle(pickle).ToInputs();
        using var dir = new TempDir();
        var jpegs = new List<ImageInput>();
        for (int i = 0; i < 400; i++)
        {
            using DecodedImage decoded = cifar[i * 25].Decode();
            using Image<Rgb24> image = Image.LoadPixelData<Rgb24>(TestData.Interleaved(decoded), 32, 32);
            image.Mutate(x => x.Resize(256, 256, KnownResamplers.Bicubic));
            string file = dir.File($"{i:D3}.jpg");
            image.SaveAsJpeg(file, new JpegEncoder { Quality = 90 });
            jpegs.Add(ImageInput.FromFile(file));
        }

        using ImageClassifier cpu = Create(PreprocessBackend.Cpu);
        using ImageClassifier jpu = Create(PreprocessBackend.DeviceJpeg);
        IReadOnlyList<Prediction> expected = cpu.Classify(jpegs);
        IReadOnlyList<Prediction> actual = jpu.Classify(jpegs);

        double agreement = actual.Zip(expected, (a, e) => a.ClassIndex == e.ClassIndex ? 1.0 : 0.0).Average();
        TestContext.Progress.WriteLine($"device JPEG decode vs CPU path, 400 upscaled CIFAR-10 JPEGs: same class {100 * agreement:F2} %");
        Assert.That(actual, Has.All.Matches<Prediction>(p => p.Succeeded));
        Assert.That(agreement, Is.GreaterThanOrEqualTo(0.99));
    }

    [Test]
    public void AFailedDecodeIsOneErrorEntryAndLeaksNothing()
    {
        List<ImageInput> inputs = Enumerable.Repeat(ImageInput.FromFile(Path.Combine(TestData.SampleImages, "rocket.jpg")), 6).ToList();
        using ImageClassifier jpu = Create(PreprocessBackend.DeviceJpeg);
        Emulator.SetFaults("bmcv_image_jpeg_dec:2");

        IReadOnlyList<Prediction> predictions = jpu.Classify(inputs);

        Assert.That(predictions.Count(p => !p.Succeeded), Is.EqualTo(1));
        Assert.That(predictions[1].Error, Does.StartWith("bmcv_image_jpeg_dec"));
        Emulator.SetFaults(null);
        Assert.That(jpu.Classify(inputs), Has.All.Matches<Prediction>(p => p.Succeeded), "the next run is whole");
    }
}
