using SimClrV2.Sophon.Results;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;

namespace SimClrV2.Sophon.Decode;

/// <summary>
/// One image to classify: a name for results, an optional known label, and a way to decode it.
/// Create inputs with the static factories or <see cref="ImageInputs"/>.
/// </summary>
public abstract class ImageInput
{
    /// <summary>Creates an input (the factories below make every kind).</summary>
    /// <param name="name">The name reported in predictions and result files.</param>
    private protected ImageInput(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        Name = name;
    }

    /// <summary>The name reported in predictions and result files (a file name, a CIFAR file name).</summary>
    public string Name { get; }

    /// <summary>The ground-truth class index when the source knows it (CIFAR labels), else null.</summary>
    public int? LabelIndex { get; internal init; }

    /// <summary>The ground-truth class name when the source knows it (a folder name), else null.</summary>
    public string? LabelName { get; internal init; }

    /// <summary>The file this input reads (an image file, a CIFAR file), or null for streams, images and pixels.</summary>
    public virtual string? SourceFile => null;

    /// <summary>Decode time shared by all images of a source read at once (a CIFAR file), per image.</summary>
    internal virtual TimeSpan SharedDecodeTime => TimeSpan.Zero;

    /// <summary>Decodes the image under <see cref="DecodeOptions.Default"/>.</summary>
    /// <returns>The decoded image; the caller disposes it.</returns>
    internal DecodedImage Decode() => Decode(DecodeOptions.Default);

    /// <summary>
    /// Decodes the image as the classifier would (EXIF orientation applied, the limits of
    /// <paramref name="options"/> checked) into an ImageSharp image, e.g. for a thumbnail.
    /// </summary>
    /// <param name="options">The decode limits (default: <see cref="DecodeOptions.Default"/>).</param>
    /// <returns>The image; the caller disposes it.</returns>
    /// <exception cref="InvalidDataException">The image is corrupt, truncated, too large or unreadable.</exception>
    public Image<Rgb24> DecodeToImage(DecodeOptions? options = null)
    {
        using DecodedImage decoded = Decode(options ?? DecodeOptions.Default);
        return decoded.ToImage();
    }

    /// <summary>
    /// Decodes the image under the given limits. Throws on a corrupt, truncated, oversized or
    /// unreadable image; the pipeline turns that into an error entry for this input only.
    /// </summary>
    /// <param name="options">The decode limits.</param>
    /// <returns>The decoded image; the caller disposes it.</returns>
    internal abstract DecodedImage Decode(DecodeOptions options);

    /// <summary>An image file (PNG, JPEG, BMP, GIF, TGA, TIFF, WebP, PBM/PGM/PPM), decoded when classified; only regular files are read.</summary>
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

        return new DelegateImageInput(name, options => ImageDecoding.Decode(stream, $"stream '{name}'", options));
    }

    /// <summary>
    /// An encoded image in memory (PNG, JPEG, BMP, GIF, TGA, TIFF, WebP, PBM/PGM/PPM), decoded when
    /// classified. The bytes are kept, not copied: do not change them until the input is classified.
    /// </summary>
    /// <param name="encoded">The encoded image (e.g. <c>File.ReadAllBytes</c>, an upload, a message body).</param>
    /// <param name="name">The reported name.</param>
    /// <returns>The input.</returns>
    public static ImageInput FromBytes(ReadOnlyMemory<byte> encoded, string name = "bytes")
    {
        ArgumentNullException.ThrowIfNull(name);
        return new DelegateImageInput(name, options => ImageDecoding.Decode(encoded, $"image '{name}'", options));
    }

    /// <summary>An ImageSharp image the caller owns (it is neither changed nor disposed).</summary>
    /// <param name="image">The image.</param>
    /// <param name="name">The reported name.</param>
    /// <returns>The input.</returns>
    public static ImageInput FromImage(Image<Rgb24> image, string name)
    {
        ArgumentNullException.ThrowIfNull(image);
        return new DelegateImageInput(name, _ => DecodedImage.FromImage(image, takeOwnership: false));
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
        DecodedImage.ValidatePixels(rgb24.Length, width, height, nameof(rgb24));
        byte[] copy = rgb24.ToArray();
        return new DelegateImageInput(name, _ => DecodedImage.FromPixels(copy, width, height, layout));
    }

    /// <summary>
    /// An input already known to have failed (a missing path, an unreadable source): it keeps its
    /// place in the results as an error entry with <paramref name="error"/>.
    /// </summary>
    /// <param name="name">The reported name.</param>
    /// <param name="error">Why it failed.</param>
    /// <returns>The input.</returns>
    internal static ImageInput FromError(string name, string error) => FromError(name, error, PredictionErrorKind.InvalidInput);

    /// <summary>
    /// An input already known to have failed: it keeps its place in the results as an error entry
    /// with <paramref name="error"/> and <paramref name="kind"/>.
    /// </summary>
    /// <param name="name">The reported name.</param>
    /// <param name="error">Why it failed.</param>
    /// <param name="kind">The error's kind (<see cref="Prediction.ErrorKind"/>).</param>
    /// <returns>The input.</returns>
    public static ImageInput FromError(string name, string error, PredictionErrorKind kind)
    {
        ArgumentException.ThrowIfNullOrEmpty(error);
        if (kind == PredictionErrorKind.None || !Enum.IsDefined(kind))
        {
            throw new ArgumentOutOfRangeException(nameof(kind), kind, "An error input needs an error kind other than None.");
        }

        return new FailedImageInput(name, InputErrors.Create(kind, error));
    }

    /// <summary>
    /// An input whose source failed with <paramref name="exception"/> (a path that does not exist,
    /// a folder that cannot be read): an error entry with the exception's message and kind
    /// (<see cref="InputErrors.KindOf"/>).
    /// </summary>
    /// <param name="name">The reported name.</param>
    /// <param name="exception">What reading the source threw.</param>
    /// <returns>The input.</returns>
    public static ImageInput FromError(string name, Exception exception)
    {
        ArgumentNullException.ThrowIfNull(exception);
        return FromError(name, exception.Message, InputErrors.KindOf(exception));
    }

    private sealed class FailedImageInput(string name, InvalidDataException error) : ImageInput(name)
    {
        internal override DecodedImage Decode(DecodeOptions options) => throw error;
    }

    private sealed class DelegateImageInput(string name, Func<DecodeOptions, DecodedImage> decode) : ImageInput(name)
    {
        internal override DecodedImage Decode(DecodeOptions options)
        {
            ArgumentNullException.ThrowIfNull(options);
            return decode(options);
        }
    }
}

/// <summary>An image file decoded when classified (see <see cref="ImageDecoding"/>).</summary>
internal sealed class FileImageInput(string path, string name) : ImageInput(name)
{
    public string Path { get; } = path;

    public override string? SourceFile => Path;

    internal override DecodedImage Decode(DecodeOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        return ImageDecoding.DecodeFile(Path, options);
    }
}
