namespace SimClrV2.Sophon.Decode;

/// <summary>
/// Limits applied to every encoded image before and while it is decoded, so a hostile or broken file
/// costs an error entry, not the process: the size the header claims is checked before any pixel
/// buffer is allocated, only the first frame of an animation is decoded, metadata is read only for the
/// EXIF orientation, and a
/// truncated file is refused instead of being classified with invented pixels.
/// </summary>
public sealed class DecodeOptions
{
    /// <summary>The defaults: 64 megapixels, 256 MiB of encoded data.</summary>
    public static DecodeOptions Default => new();

    /// <summary>
    /// The most pixels (width x height, as the header states it) an image may have; larger images
    /// are refused before decoding. Default 64 Mi (e.g. 9000 x 7000 from a 63-megapixel camera);
    /// an RGB24 image of that size takes 192 MiB while it is decoded.
    /// </summary>
    public long MaxPixels { get; set; } = 64L * 1024 * 1024;

    /// <summary>The most bytes an encoded image (a file or a stream) may have. Default 256 MiB.</summary>
    public long MaxEncodedBytes { get; set; } = 256L * 1024 * 1024;

    /// <summary>
    /// Decode JPEGs much larger than the network input at a reduced scale (1/2, 1/4 or 1/8, the
    /// largest that keeps both sides at least 3 times the input's; libjpeg-turbo's scaled IDCT
    /// through the system's libturbojpeg), faster; then the same resize as always. Default true; false
    /// decodes every image at full size (pixel-exact agreement with BMCV, which resizes the full image).
    /// Without libturbojpeg (Debian/Ubuntu: <c>libturbojpeg0</c>) JPEGs decode at full size with ImageSharp.
    /// </summary>
    public bool ReducedJpegDecode { get; set; } = true;

    /// <summary>
    /// How many times the network input's sides a reduced JPEG decode keeps at least (1..8, default
    /// 3). Lower is faster and blurrier. For a 32x32 input, 3 decodes a 640x480 photo at 1/4 scale
    /// (160x120, about 2x faster than full) and a 256x256 JPEG at 1/2; on CIFAR-10 test images
    /// upscaled to 256x256 JPEG, 3 and 4 cost 0.2 points of accuracy, 2 about 1.3 and 1 about 1.9.
    /// </summary>
    public int ReducedJpegOversample { get; set; } = 3;

    /// <summary>Whether JPEGs may go to libturbojpeg (false: ImageSharp for every JPEG, the decoder before it; benchmarks' old path).</summary>
    internal bool UseTurboJpeg { get; set; } = true;

    /// <summary>
    /// Turn photos upright by their EXIF orientation (tag 0x0112) before anything else, as OpenCV's
    /// <c>imread</c> does. Default true; false classifies the pixels as stored. An oriented JPEG is
    /// decoded on the host even with device JPEG decode (the JPU does not turn images).
    /// </summary>
    public bool ApplyExifOrientation { get; set; } = true;

    /// <summary>Keep JPEGs encoded after their checks, for a preprocessor that decodes them on the device. Set by the classifier.</summary>
    internal bool KeepJpegEncoded { get; set; }

    /// <summary>The width of the network input the image is decoded for (0: unknown, no reduced decode). The classifier sets it to its engine's.</summary>
    internal int TargetWidth { get; set; }

    /// <summary>The height of the network input the image is decoded for (0: unknown, no reduced decode). The classifier sets it to its engine's.</summary>
    internal int TargetHeight { get; set; }

    /// <summary>A copy, for the classifier's own settings (the caller's object is never changed).</summary>
    internal DecodeOptions Clone() => (DecodeOptions)MemberwiseClone();

    /// <summary>Checks the limits are positive.</summary>
    /// <exception cref="ArgumentOutOfRangeException">A limit is below 1, or <see cref="MaxEncodedBytes"/> is not below <see cref="Array.MaxLength"/> (one buffer holds the image and one byte more).</exception>
    internal void Validate()
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxPixels, 1, nameof(MaxPixels));
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxEncodedBytes, 1, nameof(MaxEncodedBytes));
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(MaxEncodedBytes, Array.MaxLength, nameof(MaxEncodedBytes));
        ArgumentOutOfRangeException.ThrowIfLessThan(ReducedJpegOversample, 1, nameof(ReducedJpegOversample));
        ArgumentOutOfRangeException.ThrowIfGreaterThan(ReducedJpegOversample, 8, nameof(ReducedJpegOversample));
        ArgumentOutOfRangeException.ThrowIfNegative(TargetWidth, nameof(TargetWidth));
        ArgumentOutOfRangeException.ThrowIfNegative(TargetHeight, nameof(TargetHeight));
    }
}
