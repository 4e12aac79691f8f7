using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;

namespace SimClrV2.Sophon.Decode;

/// <summary>How 8-bit RGB pixels are laid out in memory.</summary>
public enum PixelLayout
{
    /// <summary>RGBRGB... row-major (HWC), as decoders produce.</summary>
    Interleaved,

    /// <summary>All R, then all G, then all B, each row-major (CHW), as CIFAR-10 stores images.</summary>
    Planar,
}

/// <summary>
/// A decoded image: either an ImageSharp <see cref="Image{Rgb24}"/> or 8-bit RGB bytes in a known
/// layout. Disposing releases the ImageSharp image when the decoder owned it.
/// </summary>
internal sealed class DecodedImage : IDisposable
{
    private readonly bool _ownsImage;
    private byte[]? _rented;

    private DecodedImage(int width, int height, PixelLayout layout, Image<Rgb24>? image, bool ownsImage, ReadOnlyMemory<byte> pixels)
    {
        Width = width;
        Height = height;
        Layout = layout;
        Image = image;
        _ownsImage = ownsImage;
        Pixels = pixels;
    }

    /// <summary>Width in pixels.</summary>
    public int Width { get; }

    /// <summary>Height in pixels.</summary>
    public int Height { get; }

    /// <summary>The layout of <see cref="Pixels"/> (ImageSharp images are interleaved).</summary>
    public PixelLayout Layout { get; }

    /// <summary>The ImageSharp image when the decoder produced one; otherwise null and <see cref="Pixels"/> holds the bytes.</summary>
    internal Image<Rgb24>? Image { get; }

    /// <summary>Raw RGB bytes (3 x Width x Height) when <see cref="Image"/> is null.</summary>
    internal ReadOnlyMemory<byte> Pixels { get; }

    /// <summary>Wraps an ImageSharp image.</summary>
    /// <param name="image">The image.</param>
    /// <param name="takeOwnership">Whether disposing this disposes the image too.</param>
    /// <returns>The decoded image.</returns>
    public static DecodedImage FromImage(Image<Rgb24> image, bool takeOwnership)
    {
        ArgumentNullException.ThrowIfNull(image);
        return new DecodedImage(image.Width, image.Height, PixelLayout.Interleaved, image, takeOwnership, default);
    }

    /// <summary>Wraps RGB bytes the caller keeps alive for the lifetime of this object.</summary>
    /// <param name="pixels">3 x width x height bytes.</param>
    /// <param name="width">Width in pixels.</param>
    /// <param name="height">Height in pixels.</param>
    /// <param name="layout">The byte layout.</param>
    /// <returns>The decoded image.</returns>
    public static DecodedImage FromPixels(ReadOnlyMemory<byte> pixels, int width, int height, PixelLayout layout)
    {
        ValidatePixels(pixels.Length, width, height, nameof(pixels));
        return new DecodedImage(width, height, layout, null, false, pixels);
    }

    /// <summary>RGB bytes in an array rented from <see cref="System.Buffers.ArrayPool{T}.Shared"/> (it may be longer), returned to the pool on <see cref="Dispose"/>.</summary>
    internal static DecodedImage FromRentedPixels(byte[] rented, int width, int height)
    {
        int length = checked(width * height * 3);
        ValidatePixels(length, width, height, nameof(rented));
        return new DecodedImage(width, height, PixelLayout.Interleaved, null, false, rented.AsMemory(0, length)) { _rented = rented };
    }

    /// <summary>
    /// A checked JPEG kept encoded, for a preprocessor that decodes on the device (the JPU); its
    /// pixels are not on the host (<see cref="Pixels"/> is empty, <see cref="Image"/> null).
    /// </summary>
    internal ReadOnlyMemory<byte> EncodedJpeg { get; private init; }

    /// <summary>True when this is a JPEG kept encoded (see <see cref="EncodedJpeg"/>).</summary>
    internal bool IsEncodedJpeg => !EncodedJpeg.IsEmpty;

    /// <summary>Wraps a checked JPEG's bytes (owned by the result) and its size, without decoding it.</summary>
    internal static DecodedImage FromEncodedJpeg(byte[] jpeg, int width, int height) =>
        new(width, height, PixelLayout.Interleaved, null, false, default) { EncodedJpeg = jpeg };

    /// <summary>A copy of the pixels as an ImageSharp image (the caller disposes it): for display, thumbnails or saving.</summary>
    /// <returns>The image, RGB.</returns>
    public Image<Rgb24> ToImage()
    {
        if (Image is not null)
        {
            return Image.Clone();
        }

        if (IsEncodedJpeg)
        {
            return SixLabors.ImageSharp.Image.Load<Rgb24>(EncodedJpeg.Span);
        }

        int plane = Width * Height;
        if (Layout == PixelLayout.Interleaved)
        {
            return SixLabors.ImageSharp.Image.LoadPixelData<Rgb24>(Pixels.Span[..(plane * 3)], Width, Height);
        }

        var image = new Image<Rgb24>(Width, Height);
        ReadOnlyMemory<byte> pixels = Pixels;
        int width = Width;
        image.ProcessPixelRows(rows =>
        {
            ReadOnlySpan<byte> p = pixels.Span;
            for (int y = 0; y < rows.Height; y++)
            {
                Span<Rgb24> row = rows.GetRowSpan(y);
                for (int x = 0, i = y * width; x < row.Length; x++, i++)
                {
                    row[x] = new Rgb24(p[i], p[plane + i], p[(2 * plane) + i]);
                }
            }
        });
        return image;
    }

    /// <inheritdoc />
    public void Dispose()
    {
        if (_ownsImage)
        {
            Image?.Dispose();
        }

        if (Interlocked.Exchange(ref _rented, null) is { } rented)
        {
            System.Buffers.ArrayPool<byte>.Shared.Return(rented);
        }
    }

    internal static void ValidatePixels(int length, int width, int height, string bufferName)
    {
        if (width < 1 || height < 1)
        {
            throw new ArgumentException($"Image size {width}x{height} is invalid; width and height must be positive.", width < 1 ? nameof(width) : nameof(height));
        }

        long needed = (long)width * height * 3;
        if (length != needed)
        {
            throw new ArgumentException($"{bufferName} holds {length} bytes, but a {width}x{height} RGB24 image needs {needed} (3 per pixel).", bufferName);
        }
    }
}
