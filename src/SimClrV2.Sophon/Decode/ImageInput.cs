using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;

namespace SimClrV2.Sophon.Decode;

/// <summary>
/// One image to classify: a name for results, an optional known label, and a way to decode it.
/// Create inputs with the static factories or <see cref="ImageInputs"/>.
/// </summary>
public abstract class ImageInput
{
    /// <summary>Creates an input.</summary>
    /// <param name="name">The name reported in predictions and result files.</param>
    protected ImageInput(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        Name = name;
    }

    /// <summary>The name reported in predictions and result files (a file name, a CIFAR file name).</summary>
    public string Name { get; }

    /// <summary>The ground-truth class index when the source knows it (CIFAR labels), else null.</summary>
    public int? LabelIndex { get; init; }

    /// <summary>The ground-truth class name when the source knows it (a folder name), else null.</summary>
    public string? LabelName { get; init; }

    /// <summary>Decode time shared by all images of a source read at once (a CIFAR file), per image.</summary>
    internal virtual TimeSpan SharedDecodeTime => TimeSpan.Zero;

    /// <summary>Decodes the image. Throws on a corrupt or unreadable image; the pipeline turns that into an error entry.</summary>
    /// <returns>The decoded image; the caller disposes it.</returns>
    public abstract DecodedImage Decode();

    /// <summary>An image file (PNG, JPEG, BMP, anything ImageSharp 2 reads), decoded when classified.</summary>
    /// <param name="path">The file path.</param>
    /// <param name="name">The reported name; the file name when null.</param>
    /// <returns>The input.</returns>
    public static ImageInput FromFile(string path, string? name = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        return new FileImageInput(path, name ?? Path.GetFileName(path));
    }

    /// <summary>An encoded image in a stream, read when classified (the stream is left open).</summary>
    /// <param name="stream">A readable stream.</param>
    /// <param name="name">The reported name.</param>
    /// <returns>The input.</returns>
    public static ImageInput FromStream(Stream stream, string name)
    {
        ArgumentNullException.ThrowIfNull(stream);
        if (!stream.CanRead)
        {
            throw new ArgumentException("The stream must be readable.", nameof(stream));
        }

        return new DelegateImageInput(name, () => DecodedImage.FromImage(SixLabors.ImageSharp.Image.Load<Rgb24>(stream), takeOwnership: true));
    }

    /// <summary>An ImageSharp image the caller owns (it is neither changed nor disposed).</summary>
    /// <param name="image">The image.</param>
    /// <param name="name">The reported name.</param>
    /// <returns>The input.</returns>
    public static ImageInput FromImage(Image<Rgb24> image, string name)
    {
        ArgumentNullException.ThrowIfNull(image);
        return new DelegateImageInput(name, () => DecodedImage.FromImage(image, takeOwnership: false));
    }

    /// <summary>Raw 8-bit RGB pixels (copied now, so the span may be reused at once).</summary>
    /// <param name="rgb24">3 x width x height bytes.</param>
    /// <param name="width">Width in pixels.</param>
    /// <param name="height">Height in pixels.</param>
    /// <param name="name">The reported name.</param>
    /// <param name="layout">Interleaved (RGBRGB...) or planar (CIFAR style).</param>
    /// <returns>The input.</returns>
    public static ImageInput FromPixels(ReadOnlySpan<byte> rgb24, int width, int height, string name, PixelLayout layout = PixelLayout.Interleaved)
    {
        DecodedImage.ValidatePixels(rgb24.Length, width, height);
        byte[] copy = rgb24.ToArray();
        return new DelegateImageInput(name, () => DecodedImage.FromPixels(copy, width, height, layout));
    }

    private sealed class DelegateImageInput(string name, Func<DecodedImage> decode) : ImageInput(name)
    {
        public override DecodedImage Decode() => decode();
    }
}

/// <summary>An image file decoded with ImageSharp when classified.</summary>
internal sealed class FileImageInput(string path, string name) : ImageInput(name)
{
    public override DecodedImage Decode()
    {
        try
        {
            return DecodedImage.FromImage(SixLabors.ImageSharp.Image.Load<Rgb24>(path), takeOwnership: true);
        }
        catch (UnknownImageFormatException ex)
        {
            throw new InvalidDataException($"'{path}' is not an image ImageSharp can decode (PNG, JPEG, BMP, GIF, TGA, TIFF, WebP, PBM): {ex.Message}", ex);
        }
        catch (ImageFormatException ex)
        {
            throw new InvalidDataException($"'{path}' is corrupt: {ex.Message}", ex);
        }
    }
}
