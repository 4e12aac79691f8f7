using System.Buffers;
using SimClrV2.Sophon.Decode.Files;
using SimClrV2.Sophon.Results;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Formats;
using SixLabors.ImageSharp.Formats.Bmp;
using SixLabors.ImageSharp.Formats.Gif;
using SixLabors.ImageSharp.Formats.Jpeg;
using SixLabors.ImageSharp.Formats.Pbm;
using SixLabors.ImageSharp.Formats.Png;
using SixLabors.ImageSharp.Formats.Tga;
using SixLabors.ImageSharp.Formats.Tiff;
using SixLabors.ImageSharp.Formats.Webp;
using SixLabors.ImageSharp.Metadata;
using SixLabors.ImageSharp.PixelFormats;

namespace SimClrV2.Sophon.Decode;

/// <summary>
/// Decodes encoded images under <see cref="DecodeOptions"/>: the whole encoded image is read into a
/// pooled buffer (at most <see cref="DecodeOptions.MaxEncodedBytes"/>), its header is identified and
/// its claimed size checked, its structure is checked for truncation, and only then is it decoded,
/// with ImageSharp restricted to the documented formats, first frame only, metadata skipped.
/// </summary>
internal static class ImageDecoding
{
    /// <summary>The formats read: PNG, JPEG, BMP, GIF, TGA, TIFF, WebP, PBM/PGM/PPM.</summary>
    public const string Formats = "PNG, JPEG, BMP, GIF, TGA, TIFF, WebP, PBM/PGM/PPM";

    private static readonly Configuration Configuration = CreateConfiguration(ignoreMetadata: true);

    /// <summary>
    /// The file extensions (".png", ...) of every format the configured decoders read, as the
    /// formats themselves name them: the one list that decides which files a folder walk takes.
    /// </summary>
    public static IReadOnlyList<string> FileExtensions { get; } =
        [.. Configuration.ImageFormats.SelectMany(f => f.FileExtensions).Select(e => "." + e.ToLowerInvariant()).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal)];

    // Identify reads metadata (the EXIF orientation); decoding skips it.
    private static readonly Configuration IdentifyConfiguration = CreateConfiguration(ignoreMetadata: false);

    /// <summary>Decodes an image file.</summary>
    public static DecodedImage DecodeFile(string path, DecodeOptions options)
    {
        using FileStream stream = InputFile.OpenRead(path, "image", bufferSize: 1);
        return Decode(stream, $"'{path}'", options);
    }

    /// <summary>Decodes an encoded image from a stream (read to its end, at most <see cref="DecodeOptions.MaxEncodedBytes"/>).</summary>
    public static DecodedImage Decode(Stream stream, string what, DecodeOptions options)
    {
        options.Validate();
        long? known = stream.CanSeek ? stream.Length - stream.Position : null;
        if (known > options.MaxEncodedBytes)
        {
            throw TooLarge(what, options);
        }

        byte[] buffer = ArrayPool<byte>.Shared.Rent((int)Math.Min((known ?? (64 * 1024)) + 1, options.MaxEncodedBytes + 1));
        try
        {
            int length = ReadAll(stream, ref buffer, what, options);
            return Decode(buffer.AsMemory(0, length), what, options);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>Decodes encoded bytes.</summary>
    public static DecodedImage Decode(ReadOnlyMemory<byte> encoded, string what, DecodeOptions options)
    {
        if (encoded.IsEmpty)
        {
            throw InputErrors.Create(PredictionErrorKind.InvalidImage, $"{what} is empty (0 bytes).");
        }

        using var stream = new ReadOnlyMemoryStream(encoded);
        IImageInfo? info;
        IImageFormat? format;
        try
        {
            info = Image.Identify(IdentifyConfiguration, stream, out format);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            throw InputErrors.Create(PredictionErrorKind.InvalidImage, $"{what} is corrupt: its header cannot be read ({ex.Message}).", ex);
        }

        if (info is null || format is null)
        {
            throw InputErrors.Create(PredictionErrorKind.InvalidImage, $"{what} is not an image in a format this library reads ({Formats}).");
        }

        if (info.Width < 1 || info.Height < 1 || (long)info.Width * info.Height > options.MaxPixels)
        {
            throw InputErrors.Create(PredictionErrorKind.TooLarge, $"{what} claims {info.Width}x{info.Height} = {(long)info.Width * info.Height:N0} pixels, more than DecodeOptions.MaxPixels ({options.MaxPixels:N0}) or empty; it was not decoded. Raise the limit if the image is genuine.");
        }

        if (EncodedImageCheck.FindTruncation(encoded.Span, format) is { } truncation)
        {
            throw InputErrors.Create(PredictionErrorKind.InvalidImage, $"{what} is truncated: {truncation}; it was not classified.");
        }

        ushort orientation = options.ApplyExifOrientation ? ExifOrientation.Read(info.Metadata) : (ushort)1;
        if (options.KeepJpegEncoded && format is JpegFormat && orientation == 1)
        {
            return DecodedImage.FromEncodedJpeg(encoded.ToArray(), info.Width, info.Height);
        }

        // The reduced decode keeps the target's sides in the upright image's orientation.
        (int targetWidth, int targetHeight) = ExifOrientation.SwapsSides(orientation) ? (options.TargetHeight, options.TargetWidth) : (options.TargetWidth, options.TargetHeight);
        if (format is JpegFormat && options.UseTurboJpeg)
        {
            (int minWidth, int minHeight) = options.ReducedJpegDecode ? (targetWidth, targetHeight) : (0, 0);
            if (JpegDecoding.TryDecode(encoded, info.Width, info.Height, minWidth, minHeight, options.ReducedJpegOversample, what) is { } jpeg)
            {
                return ExifOrientation.Turn(jpeg, orientation);
            }
        }

        stream.Position = 0;
        try
        {
            Image<Rgb24> image = Image.Load<Rgb24>(Configuration, stream);
            ExifOrientation.Turn(image, orientation);
            return DecodedImage.FromImage(image, takeOwnership: true);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            throw InputErrors.Create(PredictionErrorKind.InvalidImage, $"{what} is corrupt: {ex.Message}", ex);
        }
    }

    /// <summary>Reads the stream to its end into the (pooled, growing) buffer; refuses more than the limit as soon as it is passed.</summary>
    private static int ReadAll(Stream stream, ref byte[] buffer, string what, DecodeOptions options)
    {
        int length = 0;
        while (true)
        {
            if (length == buffer.Length)
            {
                byte[] larger = ArrayPool<byte>.Shared.Rent((int)Math.Min((long)buffer.Length * 2, options.MaxEncodedBytes + 1));
                buffer.AsSpan(0, length).CopyTo(larger);
                ArrayPool<byte>.Shared.Return(buffer);
                buffer = larger;
            }

            int read = stream.Read(buffer, length, buffer.Length - length);
            if (read == 0)
            {
                return length;
            }

            length += read;
            if (length > options.MaxEncodedBytes)
            {
                throw TooLarge(what, options);
            }
        }
    }

    private static InvalidDataException TooLarge(string what, DecodeOptions options) =>
        InputErrors.Create(PredictionErrorKind.TooLarge, $"{what} has more than DecodeOptions.MaxEncodedBytes ({options.MaxEncodedBytes:N0}) bytes; raise the limit if the image is genuine.");

    private static Configuration CreateConfiguration(bool ignoreMetadata)
    {
        var configuration = new Configuration(
            new PngConfigurationModule(),
            new JpegConfigurationModule(),
            new BmpConfigurationModule(),
            new GifConfigurationModule(),
            new TgaConfigurationModule(),
            new TiffConfigurationModule(),
            new WebpConfigurationModule(),
            new PbmConfigurationModule());
        ImageFormatManager formats = configuration.ImageFormatsManager;
        formats.SetDecoder(PngFormat.Instance, new PngDecoder { IgnoreMetadata = ignoreMetadata });
        formats.SetDecoder(JpegFormat.Instance, new JpegDecoder { IgnoreMetadata = ignoreMetadata });
        formats.SetDecoder(GifFormat.Instance, new GifDecoder { IgnoreMetadata = ignoreMetadata, DecodingMode = FrameDecodingMode.First });
        formats.SetDecoder(TiffFormat.Instance, new TiffDecoder { IgnoreMetadata = ignoreMetadata, DecodingMode = FrameDecodingMode.First });
        formats.SetDecoder(WebpFormat.Instance, new WebpDecoder { IgnoreMetadata = ignoreMetadata });
        return configuration;
    }

    /// <summary>A seekable read-only stream over memory (no copy).</summary>
    private sealed class ReadOnlyMemoryStream(ReadOnlyMemory<byte> memory) : Stream
    {
        private int _position;

        public override bool CanRead => true;

        public override bool CanSeek => true;

        public override bool CanWrite => false;

        public override long Length => memory.Length;

        public override long Position
        {
            get => _position;
            set => _position = (int)Math.Clamp(value, 0, memory.Length);
        }

        public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

        public override int Read(Span<byte> buffer)
        {
            int n = Math.Min(buffer.Length, memory.Length - _position);
            memory.Span.Slice(_position, n).CopyTo(buffer);
            _position += n;
            return n;
        }

        public override int ReadByte() => _position < memory.Length ? memory.Span[_position++] : -1;

        public override long Seek(long offset, SeekOrigin origin)
        {
            Position = origin switch
            {
                SeekOrigin.Begin => offset,
                SeekOrigin.Current => _position + offset,
                _ => memory.Length + offset,
            };
            return _position;
        }

        public override void Flush()
        {
        }

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
