using SimClrV2.Sophon.Results;

namespace SimClrV2.Sophon.Decode;

/// <summary>
/// JPEG decode through libturbojpeg (<see cref="TurboJpeg"/>): SIMD, straight to RGB, and for inputs
/// much larger than the network at a reduced scale in the DCT domain (1/2, 1/4, 1/8): the largest
/// reduction that keeps both sides at least <see cref="DecodeOptions.ReducedJpegOversample"/> times
/// the target's (default 3). A reduced decode averages each block where the bilinear resize that
/// follows samples a few pixels, so reducing all the way to the target blurs what the network sees
/// (measured on CIFAR-10 upscaled to 256x256 JPEG, 10,000 images: 1/8 scale -1.9 points, 1/4 -1.3,
/// 1/2 -0.2); keeping 3 times the input keeps the averaged area a small part of what one output pixel
/// covers (there: 1/2 scale), and still decodes a 640x480 photo for a 32x32 input at 1/4 scale.
/// This path only takes JPEGs that already passed <see cref="ImageDecoding"/>'s checks, and gives way
/// to ImageSharp (returns null) when libturbojpeg is not installed or the JPEG is CMYK/YCCK.
/// </summary>
internal static class JpegDecoding
{
    private static readonly int[] Reductions = [8, 4, 2];

    /// <summary>The reduction (8, 4 or 2) for an image and a target, or 1 when none keeps both sides at least <paramref name="oversample"/> times the target's.</summary>
    public static int Reduction(int width, int height, int minWidth, int minHeight, int oversample)
    {
        if (minWidth <= 0 || minHeight <= 0)
        {
            return 1;
        }

        foreach (int r in Reductions)
        {
            if ((width + r - 1) / r >= (long)oversample * minWidth && (height + r - 1) / r >= (long)oversample * minHeight)
            {
                return r;
            }
        }

        return 1;
    }

    /// <summary>Decodes a checked JPEG with libturbojpeg, reduced when the target allows (a target of 0x0: full size); null when ImageSharp should do it.</summary>
    /// <exception cref="InvalidDataException">The JPEG's data is corrupt.</exception>
    public static DecodedImage? TryDecode(ReadOnlyMemory<byte> jpeg, int width, int height, int minWidth, int minHeight, int oversample, string what)
    {
        if (!TurboJpeg.IsAvailable)
        {
            return null;
        }

        try
        {
            int reduction = Reduction(width, height, minWidth, minHeight, oversample);
            bool decoded = TurboJpeg.TryDecode(jpeg.Span, width, height, reduction, out byte[] rented, out int outWidth, out int outHeight);
            return decoded ? DecodedImage.FromRentedPixels(rented, outWidth, outHeight) : null;
        }
        catch (InvalidDataException ex)
        {
            throw InputErrors.Create(PredictionErrorKind.InvalidImage, $"{what} is corrupt: the JPEG decoder reports {ex.Message}.", ex);
        }
    }
}
