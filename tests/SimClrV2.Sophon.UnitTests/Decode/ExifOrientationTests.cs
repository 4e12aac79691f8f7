using SimClrV2.Sophon.Decode;
using SimClrV2.Sophon.OnnxRuntime;
using SimClrV2.Sophon.Pipeline;
using SimClrV2.Sophon.Results;
using SimClrV2.Sophon.Tests.TestSupport;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Formats.Jpeg;
using SixLabors.ImageSharp.Metadata.Profiles.Exif;
using SixLabors.ImageSharp.PixelFormats;
using SixLabors.ImageSharp.Processing;

namespace SimClrV2.Sophon.Tests.Decode;

/// <summary>EXIF orientation is applied before resizing (as OpenCV's imread does), on every decode path, and can be turned off.</summary>
public class ExifOrientationTests
{
    private static byte[] Encode(Image<Rgb24> image, ushort orientation, bool jpeg)
    {
        image.Metadata.ExifProfile = new ExifProfile();
        image.Metadata.ExifProfile.SetValue(ExifTag.Orientation, orientation);
        using var stream = new MemoryStream();
        if (jpeg)
        {
            image.SaveAsJpeg(stream, new JpegEncoder { Quality = 95 });
        }
        else
        {
            image.SaveAsPng(stream);
        }

        return stream.ToArray();
    }

    private static byte[] Pixels(Image<Rgb24> image)
    {
        var bytes = new byte[image.Width * image.Height * 3];
        image.CopyPixelDataTo(bytes);
        return bytes;
    }

    private static byte[] Bytes(DecodedImage image) => image.Image is { } sharp ? Pixels(sharp) : TestData.Interleaved(image);

    [Test]
    public void EveryOrientationIsTurnedAsImageSharpsAutoOrientTurnsIt([Range(1, 8)] int orientation)
    {
        using var stored = Image.LoadPixelData<Rgb24>(TestData.RandomBytes(7 * 4 * 3, orientation), 7, 4);
        byte[] png = Encode(stored, (ushort)orientation, jpeg: false);
        using Image<Rgb24> expected = Image.Load<Rgb24>(png);
        Assume.That(expected.Metadata.ExifProfile?.GetValue(ExifTag.Orientation)?.Value, Is.EqualTo((ushort)orientation), "the PNG keeps its EXIF");
        expected.Mutate(x => x.AutoOrient());

        using DecodedImage turned = ImageInput.FromStream(new MemoryStream(png), "oriented.png").Decode();
        using DecodedImage asStored = ImageInput.FromStream(new MemoryStream(png), "oriented.png").Decode(new DecodeOptions { ApplyExifOrientation = false });

        Assert.That((turned.Width, turned.Height), Is.EqualTo((expected.Width, expected.Height)));
        Assert.That(Bytes(turned), Is.EqualTo(Pixels(expected)));
        Assert.That((asStored.Width, asStored.Height), Is.EqualTo((7, 4)));
        Assert.That(Bytes(asStored), Is.EqualTo(Pixels(stored)));
    }

    [Test]
    public void APortraitPhotoStoredSidewaysIsClassifiedUprightOnTheReducedJpegPath()
    {
        TestData.RequireTurboJpeg();
        using Image<Rgb24> upright = Image.Load<Rgb24>(Path.Combine(TestData.SampleImages, "horse.png"));
        upright.Mutate(x => x.Resize(480, 640));
        using Image<Rgb24> sideways = upright.Clone(x => x.Rotate(RotateMode.Rotate270));
        byte[] uprightJpeg = Encode(upright.Clone(), 1, jpeg: true);
        byte[] sidewaysJpeg = Encode(sideways, 6, jpeg: true);
        using ImageClassifier classifier = OnnxImageClassifier.Create(new OnnxClassifierOptions { ModelPath = TestData.DefaultModel });

        using (DecodedImage reduced = ImageInput.FromStream(new MemoryStream(sidewaysJpeg), "sideways.jpg").Decode(new DecodeOptions { TargetWidth = 32, TargetHeight = 32 }))
        {
            Assert.That((reduced.Width, reduced.Height), Is.EqualTo((120, 160)), "decoded at 1/4 and turned upright");
        }

        IReadOnlyList<Prediction> predictions = classifier.Classify([ImageInput.FromStream(new MemoryStream(uprightJpeg), "upright.jpg"), ImageInput.FromStream(new MemoryStream(sidewaysJpeg), "sideways.jpg")]);

        Assert.That(predictions[1].ClassIndex, Is.EqualTo(predictions[0].ClassIndex));
        Assert.That(predictions[1].Score, Is.EqualTo(predictions[0].Score).Within(0.05));
    }
}
