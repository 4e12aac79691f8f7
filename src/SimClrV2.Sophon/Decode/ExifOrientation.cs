using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Metadata;
using SixLabors.ImageSharp.Metadata.Profiles.Exif;
using SixLabors.ImageSharp.PixelFormats;
using SixLabors.ImageSharp.Processing;

namespace SimClrV2.Sophon.Decode;

/// <summary>
/// The EXIF orientation of phone and camera photos (tag 0x0112, values 1..8), applied as OpenCV's
/// <c>imread</c> applies it: the decoded pixels are turned upright before anything is resized, so a
/// portrait photo is not classified lying on its side. ImageSharp reads the tag; the turn is
/// ImageSharp's rotate/flip, the same transforms as its AutoOrient.
/// </summary>
internal static class ExifOrientation
{
    /// <summary>The orientation value the metadata carries (1, upright, when none or out of range).</summary>
    public static ushort Read(ImageMetadata? metadata)
    {
        if (metadata?.ExifProfile?.GetValue(ExifTag.Orientation) is { } value && value.Value is >= 1 and <= 8)
        {
            return value.Value;
        }

        return 1;
    }

    /// <summary>Whether the orientation swaps width and height (90 or 270 degree turns).</summary>
    public static bool SwapsSides(ushort orientation) => orientation >= 5;

    /// <summary>Turns an image upright in place (nothing for orientation 1).</summary>
    public static void Turn(Image<Rgb24> image, ushort orientation)
    {
        if (orientation is <= 1 or > 8)
        {
            return;
        }

        (RotateMode rotate, FlipMode flip) = orientation switch
        {
            2 => (RotateMode.None, FlipMode.Horizontal),
            3 => (RotateMode.Rotate180, FlipMode.None),
            4 => (RotateMode.None, FlipMode.Vertical),
            5 => (RotateMode.Rotate90, FlipMode.Horizontal),
            6 => (RotateMode.Rotate90, FlipMode.None),
            7 => (RotateMode.Rotate270, FlipMode.Horizontal),
            _ => (RotateMode.Rotate270, FlipMode.None),
        };
        image.Mutate(x => x.RotateFlip(rotate, flip));
    }

    /// <summary>Turns decoded interleaved pixels upright: the same image for orientation 1, else a new one.</summary>
    public static DecodedImage Turn(DecodedImage image, ushort orientation)
    {
        if (orientation is <= 1 or > 8)
        {
            return image;
        }

        Image<Rgb24> pixels = Image.LoadPixelData<Rgb24>(image.Pixels.Span, image.Width, image.Height);
        Turn(pixels, orientation);
        image.Dispose();
        return DecodedImage.FromImage(pixels, takeOwnership: true);
    }
}
