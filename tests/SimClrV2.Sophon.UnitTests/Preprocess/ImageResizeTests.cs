using System.Buffers;
using SimClrV2.Sophon.Preprocess;
using SimClrV2.Sophon.Tests.TestSupport;

namespace SimClrV2.Sophon.Tests.Preprocess;

public class ImageResizeTests
{
    [Test]
    public void DownscalingByTwoAveragesNeighbours()
    {
        // One row of 4 pixels (grey levels) to 2: source x = (d + 0.5) * 2 - 0.5 = 0.5 and 2.5.
        byte[] source = [0, 0, 0, 100, 100, 100, 200, 200, 200, 50, 50, 50];
        byte[] result = ImageResize.Resize(source, planar: false, 4, 1, 2, 1);
        try
        {
            Assert.That(result.AsSpan(0, 6).ToArray(), Is.EqualTo(new byte[] { 50, 50, 50, 125, 125, 125 }));
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(result);
        }
    }

    [Test]
    public void UpscalingClampsAtTheEdgesAndRoundsToNearest()
    {
        // 2 pixels to 4: x = -0.25 (clamped to 0), 0.25, 0.75, 1.25 (second pixel, weight of a missing third ignored).
        byte[] source = [10, 0, 0, 21, 0, 0];
        byte[] result = ImageResize.Resize(source, planar: false, 2, 1, 4, 1);
        try
        {
            Assert.That(new[] { result[0], result[3], result[6], result[9] }, Is.EqualTo(new byte[] { 10, 13, 18, 21 }));
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(result);
        }
    }

    [Test]
    public void PlanarAndInterleavedSourcesGiveTheSameImage()
    {
        byte[] interleaved = TestSupport.TestData.RandomBytes(7 * 5 * 3, 3);
        byte[] planar = new byte[interleaved.Length];
        for (int i = 0; i < 35; i++)
        {
            for (int c = 0; c < 3; c++)
            {
                planar[(c * 35) + i] = interleaved[(i * 3) + c];
            }
        }

        byte[] a = ImageResize.Resize(interleaved, planar: false, 7, 5, 3, 4);
        byte[] b = ImageResize.Resize(planar, planar: true, 7, 5, 3, 4);
        Assert.That(b.AsSpan(0, 36).ToArray(), Is.EqualTo(a.AsSpan(0, 36).ToArray()));
        ArrayPool<byte>.Shared.Return(a);
        ArrayPool<byte>.Shared.Return(b);
    }

    private static byte[] Fit(byte[] source, int width, int height, PreprocessingOptions o)
    {
        byte[] rented = ImageResize.Resize(source, false, width, height, ResizePlan.For(width, height, o), o.Width, o.Height, o.Interpolation, (o.PadValue[0], o.PadValue[1], o.PadValue[2]));
        byte[] result = rented.AsSpan(0, o.Width * o.Height * 3).ToArray();
        ArrayPool<byte>.Shared.Return(rented);
        return result;
    }

    [Test]
    public void CentreCropKeepsTheFractionOfTheShorterSideInTheTargetsAspect()
    {
        PreprocessingOptions o = PreprocessingOptions.Cifar10 with { Resize = ResizeMode.CenterCrop, CropFraction = 0.875f };

        Assert.That(ResizePlan.For(640, 480, o), Is.EqualTo(new ResizePlan(110, 30, 420, 420, 0, 0, 32, 32)));
        Assert.That(ResizePlan.For(480, 640, o with { Width = 64, Height = 32 }), Is.EqualTo(new ResizePlan(30, 215, 420, 210, 0, 0, 64, 32)));
        Assert.That(ResizePlan.For(32, 32, o with { CropFraction = 1f }).IsIdentity(32, 32, 32, 32), Is.True);
    }

    [Test]
    public void LetterboxFitsTheWholeImageCentredAndPadsTheRest()
    {
        PreprocessingOptions o = PreprocessingOptions.Cifar10 with { Resize = ResizeMode.Letterbox, PadValue = [114, 0, 255] };
        byte[] white = Enumerable.Repeat((byte)200, 64 * 32 * 3).ToArray();

        Assert.That(ResizePlan.For(640, 480, o), Is.EqualTo(new ResizePlan(0, 0, 640, 480, 0, 4, 32, 24)));
        byte[] fitted = Fit(white, 64, 32, o);

        for (int y = 0; y < 32; y++)
        {
            byte[] expected = y is >= 8 and < 24 ? [200, 200, 200] : [114, 0, 255];
            Assert.That(fitted.AsSpan(((y * 32) + 5) * 3, 3).ToArray(), Is.EqualTo(expected), $"row {y}");
        }
    }

    [Test]
    public void CentreCropAtTheSameScaleIsTheCentreOfTheImage()
    {
        byte[] source = TestData.RandomBytes(40 * 40 * 3, 11);
        PreprocessingOptions o = PreprocessingOptions.Cifar10 with { Resize = ResizeMode.CenterCrop, CropFraction = 0.8f };

        byte[] fitted = Fit(source, 40, 40, o);

        for (int y = 0; y < 32; y++)
        {
            Assert.That(fitted.AsSpan(y * 32 * 3, 32 * 3).ToArray(), Is.EqualTo(source.AsSpan((((y + 4) * 40) + 4) * 3, 32 * 3).ToArray()), $"row {y}");
        }
    }

    [Test]
    public void NearestTakesTheFloorOfTheScaledIndex()
    {
        byte[] source = [.. Enumerable.Range(0, 6).SelectMany(i => new[] { (byte)(i * 10), (byte)(i * 10 + 1), (byte)(i * 10 + 2) })];
        PreprocessingOptions o = PreprocessingOptions.Cifar10 with { Width = 4, Height = 1, Interpolation = ResizeInterpolation.Nearest };

        byte[] fitted = Fit(source, 6, 1, o);

        Assert.That(fitted.Where((_, i) => i % 3 == 0), Is.EqualTo(new byte[] { 0, 10, 30, 40 }), "x = floor(d * 6/4): 0, 1, 3, 4");
    }

    [Test]
    public void BicubicKeepsFlatAreasAndReproducesLinearRampsInside()
    {
        byte[] flat = Enumerable.Repeat((byte)77, 20 * 20 * 3).ToArray();
        byte[] ramp = [.. Enumerable.Range(0, 20 * 20).SelectMany(i => Enumerable.Repeat((byte)((i % 20) * 10), 3))];
        PreprocessingOptions o = PreprocessingOptions.Cifar10 with { Width = 40, Height = 40, Interpolation = ResizeInterpolation.Bicubic };

        Assert.That(Fit(flat, 20, 20, o), Is.All.EqualTo(77));
        byte[] up = Fit(ramp, 20, 20, o);
        for (int x = 4; x < 36; x++)
        {
            double sourceX = ((x + 0.5) / 2) - 0.5;
            Assert.That(up[((20 * 40) + x) * 3], Is.EqualTo(sourceX * 10).Within(1.0), $"x {x}");
        }

        byte[] bilinear = Fit(ramp, 20, 20, o with { Interpolation = ResizeInterpolation.Bilinear });
        Assert.That(up, Is.Not.EqualTo(Fit(TestData.RandomBytes(1200, 1), 20, 20, o)), "sanity: the output depends on the input");
        Assert.That(up.AsSpan(0, 40 * 3).ToArray().Zip(bilinear.AsSpan(0, 40 * 3).ToArray(), (a, b) => Math.Abs(a - b)).Max(), Is.LessThanOrEqualTo(2), "a ramp: bicubic agrees with bilinear");
    }
}
