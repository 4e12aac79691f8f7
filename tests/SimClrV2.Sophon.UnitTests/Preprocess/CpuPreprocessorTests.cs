using SimClrV2.Sophon.Decode;
using SimClrV2.Sophon.Infer;
using SimClrV2.Sophon.Preprocess;
using SimClrV2.Sophon.Tests.TestSupport;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;

namespace SimClrV2.Sophon.Tests.Preprocess;

public class CpuPreprocessorTests
{
    private static readonly PreprocessingOptions Cifar = PreprocessingOptions.Cifar10;

    /// <summary>The reference formula, (p/255 - mean)/std, in double, NCHW from interleaved RGB.</summary>
    private static double Reference(byte[] interleaved, int pixel, int plane, PreprocessingOptions o)
    {
        int channel = o.ChannelOrder == ChannelOrder.Rgb ? plane : 2 - plane;
        double p = interleaved[(pixel * 3) + channel];
        return ((p * o.Scale) - o.Mean[plane]) / o.Std[plane];
    }

    private static CpuPreprocessor Create(PreprocessingOptions o, TensorElementType type = TensorElementType.Float32, float scale = 1f) =>
        new(o, new EngineInput("input", type, 3, o.Height, o.Width, scale));

    [TestCase(32, 32, ChannelOrder.Rgb)]
    [TestCase(32, 32, ChannelOrder.Bgr)]
    [TestCase(7, 5, ChannelOrder.Rgb)] // 35 pixels: two SIMD blocks and a scalar tail
    [TestCase(1, 1, ChannelOrder.Bgr)]
    public void InterleavedFloat32EqualsTheReferenceFormulaWithin1e6(int width, int height, ChannelOrder order)
    {
        PreprocessingOptions o = Cifar with { Width = width, Height = height, ChannelOrder = order };
        byte[] pixels = TestData.RandomBytes(width * height * 3, width * 31 + height);
        pixels[0] = 0;
        pixels[1] = 255;
        var tensor = new float[3 * width * height];

        Create(o).Normalize(pixels, PixelLayout.Interleaved, System.Runtime.InteropServices.MemoryMarshal.AsBytes(tensor.AsSpan()));

        for (int plane = 0; plane < 3; plane++)
        {
            for (int i = 0; i < width * height; i++)
            {
                Assert.That(tensor[(plane * width * height) + i], Is.EqualTo(Reference(pixels, i, plane, o)).Within(1e-6), $"plane {plane} pixel {i}");
            }
        }
    }

    [Test]
    public void PlanarSourceGivesTheSameTensorAsInterleaved()
    {
        byte[] interleaved = TestData.RandomBytes(32 * 32 * 3, 5);
        byte[] planar = new byte[interleaved.Length];
        for (int i = 0; i < 1024; i++)
        {
            for (int c = 0; c < 3; c++)
            {
                planar[(c * 1024) + i] = interleaved[(i * 3) + c];
            }
        }

        CpuPreprocessor pre = Create(Cifar with { ChannelOrder = ChannelOrder.Bgr });
        var a = new byte[3 * 1024 * 4];
        var b = new byte[3 * 1024 * 4];
        pre.Normalize(interleaved, PixelLayout.Interleaved, a);
        pre.Normalize(planar, PixelLayout.Planar, b);

        Assert.That(b, Is.EqualTo(a));
    }

    [Test]
    public void Int8QuantisesRoundsHalfToEvenAndSaturatesLikeBmcv()
    {
        // Raw pixels (scale 1, mean 0, std 1) with quantisation scale 0.5: q = round(p * 0.5), saturated to 127.
        PreprocessingOptions raw = Cifar with { Width = 5, Height = 4, Scale = 1f };
        raw = raw with { Mean = [0f, 0f, 0f], Std = [1f, 1f, 1f] };
        byte[] pixels = Enumerable.Range(0, 60).Select(i => (byte)(i * 4.3)).ToArray();
        var tensor = new sbyte[60];

        Create(raw, TensorElementType.Int8, 0.5f).Normalize(pixels, PixelLayout.Interleaved, System.Runtime.InteropServices.MemoryMarshal.AsBytes(tensor.AsSpan()));

        for (int plane = 0; plane < 3; plane++)
        {
            for (int i = 0; i < 20; i++)
            {
                double expected = Math.Clamp(Math.Round(pixels[(i * 3) + plane] * 0.5, MidpointRounding.ToEven), -128, 127);
                Assert.That(tensor[(plane * 20) + i], Is.EqualTo(expected), $"plane {plane} pixel {i}");
            }
        }
    }

    [Test]
    public void Int8OfNormalisedValuesStaysWithinOneOfTheScaledFloat()
    {
        PreprocessingOptions o = Cifar;
        byte[] pixels = TestData.RandomBytes(32 * 32 * 3, 11);
        var f = new float[3072];
        var q = new sbyte[3072];
        const float scale = 40f;

        Create(o).Normalize(pixels, PixelLayout.Interleaved, System.Runtime.InteropServices.MemoryMarshal.AsBytes(f.AsSpan()));
        Create(o, TensorElementType.Int8, scale).Normalize(pixels, PixelLayout.Interleaved, System.Runtime.InteropServices.MemoryMarshal.AsBytes(q.AsSpan()));

        for (int i = 0; i < f.Length; i++)
        {
            Assert.That((double)q[i], Is.EqualTo(Math.Clamp(f[i] * scale, -128, 127)).Within(0.5 + 1e-4), $"element {i}");
        }
    }

    [TestCase(TensorElementType.Int8, 90f, -25, -128, 127)]
    [TestCase(TensorElementType.Int8, 60f, 40, -128, 127)]
    [TestCase(TensorElementType.UInt8, 60f, 128, 0, 255)]
    public void ZeroPointsAreAddedBeforeRoundingAndSaturationIsTheTypesFullRange(TensorElementType type, float scale, int zeroPoint, int min, int max)
    {
        PreprocessingOptions o = Cifar;
        byte[] pixels = TestData.RandomBytes(32 * 32 * 3, 17);
        var f = new float[3072];
        var q = new byte[3072];
        Create(o).Normalize(pixels, PixelLayout.Interleaved, System.Runtime.InteropServices.MemoryMarshal.AsBytes(f.AsSpan()));

        new CpuPreprocessor(o, new EngineInput("input", type, 3, 32, 32, scale, zeroPoint)).Normalize(pixels, PixelLayout.Interleaved, q);

        int[] values = q.Select(b => type == TensorElementType.Int8 ? (int)(sbyte)b : b).ToArray();
        for (int i = 0; i < f.Length; i++)
        {
            double expected = Math.Clamp(Math.Round((f[i] * scale) + zeroPoint, MidpointRounding.ToEven), min, max);
            Assert.That(values[i], Is.EqualTo(expected).Within(1), $"element {i}");
        }

        Assert.That(values, Has.Some.EqualTo(min).Or.Some.EqualTo(max), "the scale saturates some values");
    }

    [Test]
    public void UInt8AndFloat16FollowTheirConversions()
    {
        PreprocessingOptions o = PreprocessingOptions.UnitRange with { Width = 6, Height = 6 };
        byte[] pixels = TestData.RandomBytes(6 * 6 * 3, 13);
        var u = new byte[108];
        var h = new Half[108];

        Create(o, TensorElementType.UInt8, 255f).Normalize(pixels, PixelLayout.Interleaved, u);
        Create(o, TensorElementType.Float16).Normalize(pixels, PixelLayout.Interleaved, System.Runtime.InteropServices.MemoryMarshal.AsBytes(h.AsSpan()));

        for (int plane = 0; plane < 3; plane++)
        {
            for (int i = 0; i < 36; i++)
            {
                byte p = pixels[(i * 3) + plane];
                Assert.That(u[(plane * 36) + i], Is.EqualTo(p), "uint8 of p/255*255 is p");
                Assert.That((float)h[(plane * 36) + i], Is.EqualTo((float)(Half)(p / 255f)).Within(1e-3), "fp16");
            }
        }
    }

    [Test]
    public void ImageOfAnotherSizeIsResizedToTheInput()
    {
        // A 64x48 image of one colour resizes to a 32x32 of the same colour.
        using var image = new Image<Rgb24>(64, 48, new Rgb24(200, 100, 50));
        using DecodedImage decoded = DecodedImage.FromImage(image, takeOwnership: false);
        var tensor = new float[3072];

        Create(Cifar).Process(decoded, System.Runtime.InteropServices.MemoryMarshal.AsBytes(tensor.AsSpan()));

        byte[] rgb = [200, 100, 50];
        for (int plane = 0; plane < 3; plane++)
        {
            double expected = ((rgb[plane] / 255.0) - Cifar.Mean[plane]) / Cifar.Std[plane];
            Assert.That(tensor.AsSpan(plane * 1024, 1024).ToArray(), Is.All.EqualTo(expected).Within(1e-5));
        }

        Assert.That(image.Width, Is.EqualTo(64), "the caller's image is not changed");
    }

    [Test]
    public void OptionsDisagreeingWithTheModelSizeAreRefused()
    {
        Assert.That(
            () => new CpuPreprocessor(Cifar with { Width = 224, Height = 224 }, new EngineInput("input", TensorElementType.Float32, 3, 32, 32)),
            Throws.ArgumentException.With.Message.Contains("224x224").And.Message.Contains("32x32"));
    }

    [Test]
    public void InvalidStdIsRefusedNamingTheField()
    {
        Assert.That(() => (Cifar with { Std = [1f, 0f, 1f] }).Validate(), Throws.ArgumentException.With.Message.Contains("Std"));
        Assert.That(() => (Cifar with { Mean = [1f] }).Validate(), Throws.ArgumentException.With.Message.Contains("Mean"));
    }
}
