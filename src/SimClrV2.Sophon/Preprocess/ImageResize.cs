using System.Buffers;

namespace SimClrV2.Sophon.Preprocess;

/// <summary>
/// Where an image goes in the network's input: the source rectangle read (the whole image, or the
/// centre crop) and the destination rectangle written (the whole input, or the letterbox's inner
/// rectangle; the rest is padding). The BMCV path passes the same rectangles to the VPP
/// (<c>bmcv_rect_t</c> crop, <c>bmcv_padding_atrr_t</c>), so both paths fit images identically.
/// </summary>
internal readonly record struct ResizePlan(int CropX, int CropY, int CropWidth, int CropHeight, int DstX, int DstY, int DstWidth, int DstHeight)
{
    /// <summary>The plan for an image under the options (target: their width and height).</summary>
    public static ResizePlan For(int width, int height, PreprocessingOptions options)
    {
        int tw = options.Width, th = options.Height;
        switch (options.Resize)
        {
            case ResizeMode.CenterCrop:
            {
                // The largest rectangle of the target's aspect ratio inside the image, times the fraction, centred.
                double fit = Math.Min((double)width / tw, (double)height / th) * options.CropFraction;
                int cw = Math.Clamp((int)Math.Round(tw * fit), 1, width);
                int ch = Math.Clamp((int)Math.Round(th * fit), 1, height);
                return new ResizePlan((width - cw) / 2, (height - ch) / 2, cw, ch, 0, 0, tw, th);
            }

            case ResizeMode.Letterbox:
            {
                double scale = Math.Min((double)tw / width, (double)th / height);
                int dw = Math.Clamp((int)Math.Round(width * scale), 1, tw);
                int dh = Math.Clamp((int)Math.Round(height * scale), 1, th);
                return new ResizePlan(0, 0, width, height, (tw - dw) / 2, (th - dh) / 2, dw, dh);
            }

            default:
                return new ResizePlan(0, 0, width, height, 0, 0, tw, th);
        }
    }

    /// <summary>Whether the plan copies the whole image unchanged onto the whole target.</summary>
    public bool IsIdentity(int width, int height, int targetWidth, int targetHeight) =>
        CropX == 0 && CropY == 0 && CropWidth == width && CropHeight == height
        && DstX == 0 && DstY == 0 && DstWidth == targetWidth && DstHeight == targetHeight && width == targetWidth && height == targetHeight;

    /// <summary>Whether the destination leaves padding around the image.</summary>
    public bool Pads(int targetWidth, int targetHeight) => DstWidth != targetWidth || DstHeight != targetHeight;
}

/// <summary>
/// Resizing of 8-bit RGB with the same arithmetic as the VPP path of BMCV preprocessing (and
/// OpenCV's conventions): bilinear samples source coordinate <c>(d + 0.5) * in/out - 0.5</c> clamped
/// to the (cropped) image, weights in single precision, rounded to nearest; nearest takes
/// <c>floor(d * in/out)</c>; bicubic is OpenCV's INTER_CUBIC (a = -0.75, border replicated,
/// saturated). CPU and BMCV preprocessing therefore give the same pixels. No antialiasing:
/// downscaling large photos aliases, as it does on the device.
/// </summary>
internal static class ImageResize
{
    /// <summary>Stretches the whole image bilinearly into a pooled interleaved RGB buffer (return it to <see cref="ArrayPool{T}.Shared"/>).</summary>
    public static byte[] Resize(ReadOnlySpan<byte> source, bool planar, int width, int height, int outWidth, int outHeight) =>
        Resize(source, planar, width, height, new ResizePlan(0, 0, width, height, 0, 0, outWidth, outHeight), outWidth, outHeight, ResizeInterpolation.Bilinear, default);

    /// <summary>Fits an image into a pooled interleaved RGB buffer of the target size by the plan (return it to <see cref="ArrayPool{T}.Shared"/>).</summary>
    /// <param name="source">Interleaved (RGBRGB) or planar (RRR..GGG..BBB) pixels.</param>
    /// <param name="planar">True when <paramref name="source"/> is planar.</param>
    /// <param name="width">Source width.</param>
    /// <param name="height">Source height.</param>
    /// <param name="plan">The source and destination rectangles.</param>
    /// <param name="outWidth">Target width.</param>
    /// <param name="outHeight">Target height.</param>
    /// <param name="interpolation">How pixels are interpolated.</param>
    /// <param name="pad">The fill outside the destination rectangle (R, G, B).</param>
    /// <returns>A rented buffer whose first 3 x outWidth x outHeight bytes are the target, interleaved.</returns>
    public static byte[] Resize(
        ReadOnlySpan<byte> source, bool planar, int width, int height, ResizePlan plan, int outWidth, int outHeight, ResizeInterpolation interpolation, (byte R, byte G, byte B) pad)
    {
        byte[] result = ArrayPool<byte>.Shared.Rent(outWidth * outHeight * 3);
        if (plan.Pads(outWidth, outHeight))
        {
            for (int i = 0; i < outWidth * outHeight; i++)
            {
                result[i * 3] = pad.R;
                result[(i * 3) + 1] = pad.G;
                result[(i * 3) + 2] = pad.B;
            }
        }

        var view = new View(planar, width * height, width, plan.CropX, plan.CropY);
        float sx = (float)plan.CropWidth / plan.DstWidth;
        float sy = (float)plan.CropHeight / plan.DstHeight;
        Span<float> wx = stackalloc float[4];
        Span<float> wy = stackalloc float[4];
        for (int y = 0; y < plan.DstHeight; y++)
        {
            // The source row(s) and weights of this output row, computed once for the row.
            (int y0, int y1, float fy) = Linear(y, sy, plan.CropHeight);
            int ny = Math.Min((int)(y * sy), plan.CropHeight - 1);
            int cy = Cubic(y, sy, wy);
            int row = ((plan.DstY + y) * outWidth) + plan.DstX;
            for (int x = 0; x < plan.DstWidth; x++)
            {
                Span<byte> pixel = result.AsSpan((row + x) * 3, 3);
                switch (interpolation)
                {
                    case ResizeInterpolation.Nearest:
                        int nx = Math.Min((int)(x * sx), plan.CropWidth - 1);
                        for (int c = 0; c < 3; c++)
                        {
                            pixel[c] = view.At(source, nx, ny, c);
                        }

                        break;
                    case ResizeInterpolation.Bicubic:
                        int cx = Cubic(x, sx, wx);
                        for (int c = 0; c < 3; c++)
                        {
                            pixel[c] = Bicubic(source, view, cx, cy, wx, wy, plan.CropWidth, plan.CropHeight, c);
                        }

                        break;
                    default:
                        (int x0, int x1, float fx) = Linear(x, sx, plan.CropWidth);
                        for (int c = 0; c < 3; c++)
                        {
                            float top = ((1.0f - fx) * view.At(source, x0, y0, c)) + (fx * view.At(source, x1, y0, c));
                            float bottom = ((1.0f - fx) * view.At(source, x0, y1, c)) + (fx * view.At(source, x1, y1, c));
                            float v = ((1.0f - fy) * top) + (fy * bottom);
                            pixel[c] = (byte)Math.Clamp((int)(v + 0.5f), 0, 255);
                        }

                        break;
                }
            }
        }

        return result;
    }

    private static (int First, int Second, float Weight) Linear(int d, float scale, int size)
    {
        float f = ((d + 0.5f) * scale) - 0.5f;
        if (f < 0.0f)
        {
            f = 0.0f;
        }

        int first = Math.Min((int)f, size - 1);
        return (first, Math.Min(first + 1, size - 1), f - first);
    }

    /// <summary>The first of the four source neighbours of output index d (before clamping) and their weights.</summary>
    private static int Cubic(int d, float scale, Span<float> weights)
    {
        float f = ((d + 0.5f) * scale) - 0.5f;
        int i = (int)MathF.Floor(f);
        CubicWeights(f - i, weights);
        return i - 1;
    }

    private static byte Bicubic(ReadOnlySpan<byte> source, in View view, int x, int y, ReadOnlySpan<float> wx, ReadOnlySpan<float> wy, int width, int height, int c)
    {
        float sum = 0f;
        for (int j = 0; j < 4; j++)
        {
            int yy = Math.Clamp(y + j, 0, height - 1);
            float rowSum = 0f;
            for (int i = 0; i < 4; i++)
            {
                rowSum += wx[i] * view.At(source, Math.Clamp(x + i, 0, width - 1), yy, c);
            }

            sum += wy[j] * rowSum;
        }

        return (byte)Math.Clamp((int)MathF.Round(sum, MidpointRounding.AwayFromZero), 0, 255);
    }

    /// <summary>OpenCV's cubic convolution weights (a = -0.75) for the four neighbours of fraction t.</summary>
    private static void CubicWeights(float t, Span<float> w)
    {
        const float A = -0.75f;
        w[0] = ((((A * (t + 1)) - (5 * A)) * (t + 1)) + (8 * A)) * (t + 1) - (4 * A);
        w[1] = ((((A + 2) * t) - (A + 3)) * t * t) + 1;
        w[2] = ((((A + 2) * (1 - t)) - (A + 3)) * (1 - t) * (1 - t)) + 1;
        w[3] = 1f - w[0] - w[1] - w[2];
    }

    /// <summary>A (cropped) window on interleaved or planar RGB.</summary>
    private readonly struct View(bool planar, int plane, int width, int offsetX, int offsetY)
    {
        public byte At(ReadOnlySpan<byte> source, int x, int y, int c) => planar
            ? source[(c * plane) + ((offsetY + y) * width) + offsetX + x]
            : source[((((offsetY + y) * width) + offsetX + x) * 3) + c];
    }
}
