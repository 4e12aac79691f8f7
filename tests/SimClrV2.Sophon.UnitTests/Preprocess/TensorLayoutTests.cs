using System.Runtime.InteropServices;
using SimClrV2.Sophon.Decode;
using SimClrV2.Sophon.Infer;
using SimClrV2.Sophon.Preprocess;
using SimClrV2.Sophon.Tests.TestSupport;

namespace SimClrV2.Sophon.Tests.Preprocess;

/// <summary>NHWC tensors: the same values as NCHW, interleaved per pixel, from every source layout, channel order and element type (run again by CI with AVX2 off and with no intrinsics).</summary>
public class TensorLayoutTests
{
    private static byte[] Write(PreprocessingOptions o, TensorElementType type, TensorLayout layout, byte[] pixels, PixelLayout source, int zeroPoint = 0)
    {
        var input = new EngineInput("input", type, 3, o.Height, o.Width, type is TensorElementType.Int8 or TensorElementType.UInt8 ? 37.5f : 1f, zeroPoint, layout);
        var tensor = new byte[input.BytesPerImage];
        new CpuPreprocessor(o, input).Normalize(pixels, source, tensor);
        return tensor;
    }

    /// <summary>Element <paramref name="index"/> of an NCHW tensor moved to its NHWC place.</summary>
    private static byte[] ToNhwc(byte[] nchw, int pixels, int elementSize)
    {
        var nhwc = new byte[nchw.Length];
        for (int c = 0; c < 3; c++)
        {
            for (int i = 0; i < pixels; i++)
            {
                Array.Copy(nchw, ((c * pixels) + i) * elementSize, nhwc, ((i * 3) + c) * elementSize, elementSize);
            }
        }

        return nhwc;
    }

    private static byte[] Planar(byte[] interleaved, int pixels)
    {
        var planar = new byte[interleaved.Length];
        for (int i = 0; i < pixels; i++)
        {
            for (int c = 0; c < 3; c++)
            {
                planar[(c * pixels) + i] = interleaved[(i * 3) + c];
            }
        }

        return planar;
    }

    [Test]
    public void NhwcHoldsTheNchwValuesInterleaved(
        [Values(TensorElementType.Float32, TensorElementType.Float16, TensorElementType.Int8, TensorElementType.UInt8)] TensorElementType type,
        [Values(ChannelOrder.Rgb, ChannelOrder.Bgr)] ChannelOrder order,
        [Values(PixelLayout.Interleaved, PixelLayout.Planar)] PixelLayout source,
        [Values(1, 15, 16, 17, 35, 1029)] int width)
    {
        PreprocessingOptions o = PreprocessingOptions.Cifar10 with { Width = width, Height = 1, ChannelOrder = order };
        byte[] rgb = TestData.RandomBytes(width * 3, width + (int)type);
        rgb[0] = 0;
        rgb[^1] = 255;
        byte[] pixels = source == PixelLayout.Planar ? Planar(rgb, width) : rgb;

        byte[] nchw = Write(o, type, TensorLayout.Nchw, pixels, source, zeroPoint: 3);
        byte[] nhwc = Write(o, type, TensorLayout.Nhwc, pixels, source, zeroPoint: 3);

        Assert.That(nhwc, Is.EqualTo(ToNhwc(nchw, width, type.SizeInBytes())));
    }

    [Test]
    public void NhwcFloat32IsThePixelFormulaAtItsInterleavedPlace()
    {
        PreprocessingOptions o = PreprocessingOptions.Cifar10 with { Width = 8, Height = 4, ChannelOrder = ChannelOrder.Bgr };
        byte[] rgb = TestData.RandomBytes(8 * 4 * 3, 5);

        float[] values = MemoryMarshal.Cast<byte, float>(Write(o, TensorElementType.Float32, TensorLayout.Nhwc, rgb, PixelLayout.Interleaved)).ToArray();

        for (int i = 0; i < 32; i++)
        {
            for (int c = 0; c < 3; c++)
            {
                double pixel = rgb[(i * 3) + (2 - c)];
                Assert.That(values[(i * 3) + c], Is.EqualTo(((pixel / 255) - o.Mean[c]) / o.Std[c]).Within(1e-5), $"pixel {i} channel {c}");
            }
        }
    }
}
