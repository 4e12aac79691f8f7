using SimClrV2.Sophon.Preprocess;

namespace SimClrV2.Sophon.Tpu;

/// <summary>
/// One VPP pass: an output image of <see cref="Width"/> x <see cref="Height"/>, the previous image
/// (its crop rectangle on the first pass) resized into the destination rectangle, the rest filled
/// with the pad colour when <see cref="Pads"/>.
/// </summary>
internal readonly record struct VppPass(int Width, int Height, int DstX, int DstY, int DstWidth, int DstHeight)
{
    /// <summary>Whether the destination rectangle leaves a border to fill (<c>if_memset = 1</c>).</summary>
    public bool Pads => DstX != 0 || DstY != 0 || DstWidth != Width || DstHeight != Height;
}

/// <summary>
/// The VPP passes that take an image to the network's input under a <see cref="ResizePlan"/>:
/// resize passes a scale ratio of at most the chip's apart (<see cref="BmcvLimits.Passes"/>), then,
/// for a letterbox, borders of at most <see cref="MaxPadding"/> pixels a side per pass. libbmcv
/// refuses more with <c>BM_ERR_PARAM</c> (<c>check_bm1684x_vpp_image_param</c> in
/// bm1684x/bmcv_1684x_vpp_internal.cpp: with <c>if_memset = 1</c> each of the four paddings is at
/// most 255), so a wider border grows over further 1:1 passes, each adding at most 255 pixels a side.
/// </summary>
internal static class VppPasses
{
    /// <summary>The widest border one padded pass may add on a side.</summary>
    public const int MaxPadding = 255;

    /// <summary>The passes for an image fitted by <paramref name="plan"/> into a <paramref name="width"/> x <paramref name="height"/> input.</summary>
    public static IReadOnlyList<VppPass> Plan(ResizePlan plan, int width, int height, BmcvLimits limits)
    {
        ArgumentNullException.ThrowIfNull(limits);
        (int left, int top) = (plan.DstX, plan.DstY);
        (int right, int bottom) = (width - plan.DstX - plan.DstWidth, height - plan.DstY - plan.DstHeight);
        var passes = new List<VppPass>();
        IReadOnlyList<(int Width, int Height)> resizes = limits.Passes(plan.CropWidth, plan.CropHeight, plan.DstWidth, plan.DstHeight);
        for (int p = 0; p < resizes.Count - 1; p++)
        {
            passes.Add(new VppPass(resizes[p].Width, resizes[p].Height, 0, 0, resizes[p].Width, resizes[p].Height));
        }

        // The last resize writes the image into the first border; each later pass copies the
        // canvas so far 1:1 into a larger one, until the border is complete.
        (int w, int h) = (plan.DstWidth, plan.DstHeight);
        do
        {
            int l = Math.Min(left, MaxPadding), t = Math.Min(top, MaxPadding), r = Math.Min(right, MaxPadding), b = Math.Min(bottom, MaxPadding);
            passes.Add(new VppPass(w + l + r, h + t + b, l, t, w, h));
            (w, h) = (w + l + r, h + t + b);
            (left, top, right, bottom) = (left - l, top - t, right - r, bottom - b);
        }
        while (left + top + right + bottom > 0);
        return passes;
    }
}
