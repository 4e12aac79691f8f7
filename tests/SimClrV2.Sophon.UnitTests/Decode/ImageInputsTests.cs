using SimClrV2.Sophon.Decode;
using SimClrV2.Sophon.Tests.TestSupport;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;

namespace SimClrV2.Sophon.Tests.Decode;

public class ImageInputsTests
{
    [Test]
    public void FolderIsReadRecursivelyInStableOrderWithLabelsFromClassFolders()
    {
        using var dir = new TempDir();
        TestData.WritePng(Path.Combine(dir.Path, "dog"), "b.png", 8, 8, 1);
        TestData.WritePng(Path.Combine(dir.Path, "cat"), "z.png", 8, 8, 2);
        TestData.WritePng(Path.Combine(dir.Path, "cat"), "a.png", 8, 8, 3);
        TestData.WritePng(Path.Combine(dir.Path, "misc"), "m.png", 8, 8, 4);
        File.WriteAllText(Path.Combine(dir.Path, "notes.txt"), "not an image");

        IReadOnlyList<ImageInput> inputs = ImageInputs.FromFolder(dir.Path, TestData.Cifar10Labels);

        Assert.That(inputs.Select(i => i.Name), Is.EqualTo(new[] { "cat/a.png", "cat/z.png", "dog/b.png", "misc/m.png" }), "named by the path under the folder, '/'-separated");
        Assert.That(inputs.Select(i => i.LabelIndex), Is.EqualTo(new int?[] { 3, 3, 5, null }));
        Assert.That(inputs.Select(i => i.LabelName), Is.EqualTo(new[] { "cat", "cat", "dog", null }));
    }

    [Test]
    public void DetectTellsFoldersPicklesBinariesAndImagesApart()
    {
        using var dir = new TempDir();
        string png = TestData.WritePng(dir.Path, "x.png", 4, 4, 1);
        string pickle = dir.File("test_batch");
        File.WriteAllBytes(pickle, PickleWriter.Cifar(new byte[3072], 1, 3072, [0], ["a"]));
        string bin = dir.File("test_batch.bin");
        File.WriteAllBytes(bin, new byte[3073]);

        Assert.That(ImageInputs.Detect(dir.Path), Is.EqualTo(InputKind.Folder));
        Assert.That(ImageInputs.Detect(png), Is.EqualTo(InputKind.ImageFile));
        Assert.That(ImageInputs.Detect(pickle), Is.EqualTo(InputKind.CifarPickle));
        Assert.That(ImageInputs.Detect(bin), Is.EqualTo(InputKind.CifarBinary));
        Assert.That(() => ImageInputs.Detect(dir.File("missing.png")), Throws.TypeOf<FileNotFoundException>().With.Message.Contains("missing.png"));
    }

    [Test]
    public void StreamImageAndPixelInputsDecodeToTheSamePixels()
    {
        byte[] pixels = TestData.RandomBytes(5 * 3 * 3, 9);
        using Image<Rgb24> image = Image.LoadPixelData<Rgb24>(pixels, 5, 3);
        using var png = new MemoryStream();
        image.SaveAsPng(png);
        png.Position = 0;

        using DecodedImage fromStream = ImageInput.FromStream(png, "s").Decode();
        using DecodedImage fromImage = ImageInput.FromImage(image, "i").Decode();
        using DecodedImage fromPixels = ImageInput.FromPixels(pixels, 5, 3, "p").Decode();

        Assert.That(Bytes(fromStream), Is.EqualTo(pixels));
        Assert.That(Bytes(fromImage), Is.EqualTo(pixels));
        Assert.That(fromPixels.Pixels.ToArray(), Is.EqualTo(pixels));
    }

    [Test]
    public void ImageInputDoesNotDisposeTheCallersImage()
    {
        using var image = new Image<Rgb24>(4, 4);
        using (ImageInput.FromImage(image, "i").Decode())
        {
        }

        Assert.That(() => image.CloneAs<Rgb24>().Dispose(), Throws.Nothing);
    }

    [Test]
    public void PixelInputWithWrongLengthNamesTheSizeNeeded()
    {
        Assert.That(
            () => ImageInput.FromPixels(new byte[10], 2, 2, "p"),
            Throws.ArgumentException.With.Message.Contains("rgb24 holds 10 bytes").And.Message.Contains("needs 12").And.Property("ParamName").EqualTo("rgb24"));
        Assert.That(
            () => SimClrV2.Sophon.Decode.DecodedImage.FromPixels(new byte[10], 2, 2, PixelLayout.Interleaved),
            Throws.ArgumentException.With.Property("ParamName").EqualTo("pixels"));
        Assert.That(() => ImageInput.FromPixels(new byte[12], 2, 0, "p"), Throws.ArgumentException.With.Property("ParamName").EqualTo("height"));
    }

    [Test]
    public void CorruptFileThrowsInvalidDataNamingTheFile()
    {
        using var dir = new TempDir();
        string path = dir.File("broken.png");
        File.WriteAllBytes(path, [0x89, (byte)'P', (byte)'N', (byte)'G', 1, 2, 3]);

        Assert.That(() => ImageInput.FromFile(path).Decode(), Throws.TypeOf<InvalidDataException>().With.Message.Contains("broken.png"));
    }

    private static byte[] Bytes(DecodedImage image)
    {
        var buffer = new byte[image.Width * image.Height * 3];
        image.Image!.CopyPixelDataTo(buffer);
        return buffer;
    }
}
