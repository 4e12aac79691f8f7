using System.Buffers;
using SimClrV2.Sophon.Results;
using SkiaSharp;

namespace SimClrV2.Sophon.Decode;

/// <summary>
/// JPEG decode at a reduced scale in the DCT domain (1/2, 1/4, 1/8: libjpeg-turbo's scaled IDCT,
/// through SkiaSharp), for inputs much larger than the network: the largest reduction that keeps
/// both sides at least <see cref="DecodeOptions.ReducedJpegOversample"/> times the target's (default
/// 3). A reduced decode averages each
/// block where the bilinear resize that follows samples a few pixels, so reducing all the way to
/// the target blurs what the network sees (measured on CIFAR-10 upscaled to 256x256 JPEG, 10,000
/// images: 1/8 scale -1.9 points, 1/4 -1.3, 1/2 -0.2); keeping 3 times the input keeps the averaged
/// area a small part of what one output pixel covers (there: 1/2 scale), and still decodes a 640x480
/// photo for a 32x32 input at 1/4 scale. ImageSharp stays the general decoder; this path only takes
/// JPEGs that already passed <see cref="ImageDecoding"/>'s checks, and gives way to it (returns
/// null) when no reduction applies or the native library is not available on this platform.
/// </summary>
internal static class ScaledJpegDecoding
{
    private static readonly int[] Reductions = [8, 4, 2];
    private static int s_unavailable;

    /// <summary>The reduction (8, 4 or 2) for an image and a target, or 1 when none keeps both sides at least <paramref name="oversample"/> times the target's.</summary>
    public static int Reduction(int width, int height, int minWidth, int minHeight, int oversample)
    {
        foreach (int r in Reductions)
        {
            if ((width + r - 1) / r >= (long)oversample * minWidth && (height + r - 1) / r >= (long)oversample * minHeight)
            {
                return r;
            }
        }

        return 1;
    }

    /// <summary>Decodes a checked JPEG reduced to at least the target size; null when the full decoder should do it.</summary>
    /// <exception cref="InvalidDataException">The JPEG's data is corrupt.</exception>
    public static unsafe DecodedImage? TryDecode(ReadOnlyMemory<byte> jpeg, int width, int height, int minWidth, int minHeight, int oversample, string what)
    {
        int reduction = Reduction(width, height, minWidth, minHeight, oversample);
        if (reduction == 1 || Volatile.Read(ref s_unavailable) != 0)
        {
            return null;
        }

        SKCodec? codec;
        SKData? data = null;
        try
        {
            fixed (byte* p = jpeg.Span)
            {
                data = SKData.CreateCopy((IntPtr)p, jpeg.Length);
            }

            codec = SKCodec.Create(data);
        }
        catch (Exception ex) when (ex is DllNotFoundException or TypeInitializationException or EntryPointNotFoundException or BadImageFormatException)
        {
            // No libSkiaSharp for this platform: the full decode serves every JPEG from now on.
            Volatile.Write(ref s_unavailable, 1);
            data?.Dispose();
            return null;
        }

        using (data)
        using (codec)
        {
            if (codec is null || codec.EncodedFormat != SKEncodedImageFormat.Jpeg)
            {
                return null;
            }

            SKSizeI size = codec.GetScaledDimensions(1f / reduction);
            if (size.Width < (long)oversample * minWidth || size.Height < (long)oversample * minHeight)
            {
                return null;
            }

            var info = new SKImageInfo(size.Width, size.Height, SKColorType.Rgba8888, SKAlphaType.Opaque);
            byte[] rgba = ArrayPool<byte>.Shared.Rent(info.BytesSize);
            try
            {
                SKCodecResult result;
                fixed (byte* p = rgba)
                {
                    result = codec.GetPixels(info, (IntPtr)p);
                }

                if (result != SKCodecResult.Success)
                {
                    throw InputErrors.Create(PredictionErrorKind.InvalidImage, $"{what} is corrupt: the JPEG decoder reports {result}.");
                }

                var rgb = new byte[size.Width * size.Height * 3];
                for (int i = 0, j = 0; j < rgb.Length; i += 4, j += 3)
                {
                    rgb[j] = rgba[i];
                    rgb[j + 1] = rgba[i + 1];
                    rgb[j + 2] = rgba[i + 2];
                }

                return DecodedImage.FromPixels(rgb, size.Width, size.Height, PixelLayout.Interleaved);
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(rgba);
            }
        }
    }
}
