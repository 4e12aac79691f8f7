namespace SimClrV2.Sophon.Decode;

/// <summary>
/// Limits applied to every encoded image before and while it is decoded, so a hostile or broken file
/// costs an error entry, not the process: the size the header claims is checked before any pixel
/// buffer is allocated, only the first frame of an animation is decoded, metadata is skipped, and a
/// truncated file is refused instead of being classified with invented pixels.
/// </summary>
public sealed record DecodeOptions
{
    /// <summary>The defaults: 64 megapixels, 256 MiB of encoded data.</summary>
    public static DecodeOptions Default { get; } = new();

    /// <summary>
    /// The most pixels (width x height, as the header states it) an image may have; larger images
    /// are refused before decoding. Default 64 Mi (e.g. 9000 x 7000 from a 63-megapixel camera);
    /// an RGB24 image of that size takes 192 MiB while it is decoded.
    /// </summary>
    public long MaxPixels { get; init; } = 64L * 1024 * 1024;

    /// <summary>The most bytes an encoded image (a file or a stream) may have. Default 256 MiB.</summary>
    public long MaxEncodedBytes { get; init; } = 256L * 1024 * 1024;

    /// <summary>
    /// Decode JPEGs much larger than the network input at a reduced scale (1/2, 1/4 or 1/8, the
    /// largest that keeps both sides at least 4 times the input's; libjpeg-turbo's scaled IDCT
    /// through SkiaSharp), faster; then the same resize as always. Default true; false
    /// decodes every image at full size (pixel-exact agreement with BMCV, which resizes the full image).
    /// </summary>
    public bool ReducedJpegDecode { get; init; } = true;

    /// <summary>The smallest width a reduced decode may give (the network input's; 0: no reduction). Set by the classifier.</summary>
    internal int MinWidth { get; init; }

    /// <summary>The smallest height a reduced decode may give (the network input's). Set by the classifier.</summary>
    internal int MinHeight { get; init; }

    /// <summary>Checks the limits are positive.</summary>
    /// <exception cref="ArgumentOutOfRangeException">A limit is below 1, or <see cref="MaxEncodedBytes"/> is not below <see cref="Array.MaxLength"/> (one buffer holds the image and one byte more).</exception>
    public void Validate()
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxPixels, 1, nameof(MaxPixels));
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxEncodedBytes, 1, nameof(MaxEncodedBytes));
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(MaxEncodedBytes, Array.MaxLength, nameof(MaxEncodedBytes));
    }
}
