using System.Buffers;

namespace SimClrV2.Sophon.Preprocess;

/// <summary>
/// Bilinear resize of 8-bit RGB, the same arithmetic as the VPP path of BMCV preprocessing (and
/// OpenCV's INTER_LINEAR convention): source coordinate <c>(d + 0.5) * in/out - 0.5</c> clamped to
/// the image, weights in single precision, rounded to nearest. CPU and BMCV preprocessing therefore
/// give the same pixels. No antialiasing: downscaling large photos aliases, as it does on the device.
/// </summary>
internal static class BilinearResize
{
    /// <summary>Resizes into a pooled interleaved RGB buffer (return it to <see cref="ArrayPool{T}.Shared"/>).</summary>
    /// <param name="source">Interleaved (RGBRGB) or planar (RRR..GGG..BBB) pixels.</param>
    /// <param name="planar">True when <paramref name="source"/> is planar.</param>
    /// <param name="width">Source width.</param>
    /// <param name="height">Source height.</param>
    /// <param name="outWidth">Target width.</param>
    /// <param name="outHeight">Target height.</param>
    /// <returns>A rented buffer whose first 3 x outWidth x outHeight bytes are the resized image, interleaved.</returns>
    public static byte[] Resize(ReadOnlySpan<byte> source, bool planar, int width, int height, int outWidth, int outHeight)
    {
        byte[] result = ArrayPool<byte>.Shared.Rent(outWidth * outHeight * 3);
        float sx = (float)width / outWidth;
        float sy = (float)height / outHeight;
        int plane = width * height;
        for (int y = 0; y < outHeight; y++)
        {
            (int y0, int y1, float wy) = Source(y, sy, height);
            for (int x = 0; x < outWidth; x++)
            {
                (int x0, int x1, float wx) = Source(x, sx, width);
                for (int c = 0; c < 3; c++)
                {
                    float top = ((1.0f - wx) * At(source, planar, plane, width, x0, y0, c)) + (wx * At(source, planar, plane, width, x1, y0, c));
                    float bottom = ((1.0f - wx) * At(source, planar, plane, width, x0, y1, c)) + (wx * At(source, planar, plane, width, x1, y1, c));
                    float v = ((1.0f - wy) * top) + (wy * bottom);
                    result[(((y * outWidth) + x) * 3) + c] = (byte)Math.Clamp((int)(v + 0.5f), 0, 255);
                }
            }
        }

        return result;
    }

    private static (int First, int Second, float Weight) Source(int d, float scale, int size)
    {
        float f = ((d + 0.5f) * scale) - 0.5f;
        if (f < 0.0f)
        {
            f = 0.0f;
        }

        int first = Math.Min((int)f, size - 1);
        return (first, Math.Min(first + 1, size - 1), f - first);
    }

    private static float At(ReadOnlySpan<byte> source, bool planar, int plane, int width, int x, int y, int c) =>
        planar ? source[(c * plane) + (y * width) + x] : source[(((y * width) + x) * 3) + c];
}
