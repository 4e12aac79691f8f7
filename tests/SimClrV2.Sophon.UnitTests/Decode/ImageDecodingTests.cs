using SimClrV2.Sophon.Decode;
using SimClrV2.Sophon.Tests.TestSupport;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Formats;
using SixLabors.ImageSharp.Formats.Pbm;
using SixLabors.ImageSharp.Formats.Png;
using SixLabors.ImageSharp.PixelFormats;

namespace SimClrV2.Sophon.Tests.Decode;

/// <summary>Decode limits: claimed sizes checked before allocation, first frame only, truncation refused, every format whole.</summary>
public class ImageDecodingTests
{
    private static byte[] Encode(IImageEncoder encoder, int width, int height, int seed)
    {
        var random = new Random(seed);
        using var image = new Image<Rgb24>(width, height);
        for (int y = 0; y < height; y++)
        {
            for (int x = 0; x < width; x++)
            {
                image[x, y] = new Rgb24((byte)((x * 7) + y), (byte)(y * 3), (byte)random.Next(256));
            }
        }

        using var stream = new MemoryStream();
        image.Save(stream, encoder);
        return stream.ToArray();
    }

    private static DecodedImage Decode(byte[] bytes, DecodeOptions? options = null) =>
        ImageInput.FromStream(new MemoryStream(bytes), "x").Decode(options ?? DecodeOptions.Default);

    [TestCaseSource(typeof(EncodedImages), nameof(EncodedImages.Formats))]
    public void WholeImagesDecodeInEveryFormat(string name, IImageEncoder encoder)
    {
        foreach ((int w, int h) in new[] { (1, 1), (37, 23), (640, 427) })
        {
            using DecodedImage image = Decode(Encode(encoder, w, h, w));
            Assert.That((image.Width, image.Height), Is.EqualTo((w, h)), $"{name} {w}x{h}");
        }
    }

    [TestCaseSource(typeof(EncodedImages), nameof(EncodedImages.Formats))]
    public void TruncatedImagesAreErrorsNotPredictions(string name, IImageEncoder encoder)
    {
        foreach ((int w, int h) in new[] { (37, 23), (640, 427) })
        {
            byte[] whole = Encode(encoder, w, h, w);
            foreach (int length in new[] { whole.Length - 1, (int)(whole.Length * 0.99), (int)(whole.Length * 0.9), whole.Length / 2 })
            {
                if (name == "tif" && length == whole.Length - 1)
                {
                    continue; // ImageSharp pads TIFF files to an even length: the last byte is padding, the image is whole
                }

                Assert.That(
                    () => Decode(whole[..length]).Dispose(),
                    Throws.TypeOf<InvalidDataException>(),
                    $"{name} {w}x{h} cut to {length} of {whole.Length} bytes");
            }
        }
    }

    [TestCase(PbmColorType.Rgb)]
    [TestCase(PbmColorType.Grayscale)]
    [TestCase(PbmColorType.BlackAndWhite)]
    public void PlainTextNetpbmImagesAreCheckedSampleBySample(PbmColorType color)
    {
        byte[] whole = Encode(new PbmEncoder { Encoding = PbmEncoding.Plain, ColorType = color }, 37, 23, 5);

        Assert.That(() => Decode(whole).Dispose(), Throws.Nothing);
        Assert.That(() => Decode(whole[..(whole.Length / 2)]), Throws.TypeOf<InvalidDataException>().With.Message.Contains("truncated"));
    }

    [Test]
    public void AHugeClaimedSizeIsRefusedFromTheHeaderWithoutAllocatingIt()
    {
        byte[] png = EncodedImages.PngClaiming(20000, 20000);
        long before = GC.GetAllocatedBytesForCurrentThread();

        Assert.That(() => Decode(png), Throws.TypeOf<InvalidDataException>().With.Message.Contains("claims 20000x20000 = 400,000,000 pixels").And.Message.Contains("MaxPixels"));
        Assert.That(GC.GetAllocatedBytesForCurrentThread() - before, Is.LessThan(16L << 20), "nothing near 1.2 GB was allocated");
    }

    [Test]
    public void TheLimitIsAnOption()
    {
        byte[] png = Encode(new PngEncoder(), 40, 30, 1);

        Assert.That(() => Decode(png, new DecodeOptions { MaxPixels = 1199 }), Throws.TypeOf<InvalidDataException>().With.Message.Contains("1,200 pixels"));
        Assert.That(() => Decode(png, new DecodeOptions { MaxPixels = 1200 }).Dispose(), Throws.Nothing);
        Assert.That(() => Decode(png, new DecodeOptions { MaxEncodedBytes = png.Length - 1 }), Throws.TypeOf<InvalidDataException>().With.Message.Contains("MaxEncodedBytes"));
    }

    [Test]
    public void OnlyTheFirstFrameOfAnAnimationIsDecoded()
    {
        using var animation = new Image<Rgb24>(64, 64, new Rgb24(200, 10, 10));
        for (int i = 1; i < 40; i++)
        {
            using var frame = new Image<Rgb24>(64, 64, new Rgb24(10, (byte)(i * 5), 200));
            animation.Frames.AddFrame(frame.Frames.RootFrame);
        }

        using var stream = new MemoryStream();
        animation.SaveAsGif(stream);

        using DecodedImage image = Decode(stream.ToArray());
        Assert.That(image.Image!.Frames, Has.Count.EqualTo(1));
        Assert.That(image.Image[10, 10].R, Is.GreaterThan(150), "the first frame's pixels");
    }

    [Test]
    public void EmptyAndUnknownDataAreErrorsNamingTheFormatsRead()
    {
        Assert.That(() => Decode([]), Throws.TypeOf<InvalidDataException>().With.Message.Contains("empty"));
        Assert.That(() => Decode("not an image at all"u8.ToArray()), Throws.TypeOf<InvalidDataException>().With.Message.Contains("PNG, JPEG, BMP, GIF, TGA, TIFF, WebP"));
    }

    [Test]
    public void ANonSeekableStreamLongerThanTheLimitIsRefusedWithoutReadingItAll()
    {
        using var endless = new EndlessStream();

        Assert.That(() => ImageInput.FromStream(endless, "endless").Decode(new DecodeOptions { MaxEncodedBytes = 1 << 20 }), Throws.TypeOf<InvalidDataException>().With.Message.Contains("MaxEncodedBytes"));
        Assert.That(endless.Consumed, Is.LessThan(8L << 20));
    }

    private sealed class EndlessStream : Stream
    {
        public long Consumed { get; private set; }

        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => false;

        public override long Length => throw new NotSupportedException();

        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public override int Read(byte[] buffer, int offset, int count)
        {
            Array.Fill(buffer, (byte)0x89, offset, count);
            Consumed += count;
            return count;
        }

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
