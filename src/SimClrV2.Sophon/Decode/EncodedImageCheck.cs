using System.Buffers.Binary;
using System.Globalization;
using SixLabors.ImageSharp.Formats;
using SixLabors.ImageSharp.Formats.Bmp;
using SixLabors.ImageSharp.Formats.Gif;
using SixLabors.ImageSharp.Formats.Jpeg;
using SixLabors.ImageSharp.Formats.Pbm;
using SixLabors.ImageSharp.Formats.Png;
using SixLabors.ImageSharp.Formats.Tga;
using SixLabors.ImageSharp.Formats.Tiff;
using SixLabors.ImageSharp.Formats.Webp;

namespace SimClrV2.Sophon.Decode;

/// <summary>
/// Finds truncation in an encoded image by walking its container structure (chunks, segments,
/// blocks, strips) against the bytes present: ImageSharp fills missing data with grey or black and
/// reports success, which would give a confident prediction for pixels that do not exist. Only the
/// structure is walked (no decompression); what the walk cannot judge is left to the decoder.
/// </summary>
internal static partial class EncodedImageCheck
{
    /// <summary>Why the image is truncated, or null when its structure is complete (or cannot be judged).</summary>
    /// <param name="data">The whole encoded image.</param>
    /// <param name="format">Its format, as identified.</param>
    /// <returns>The reason, or null.</returns>
    public static string? FindTruncation(ReadOnlySpan<byte> data, IImageFormat format) => format switch
    {
        PngFormat => Png(data),
        JpegFormat => Jpeg(data),
        GifFormat => Gif(data),
        BmpFormat => Bmp(data),
        TgaFormat => Tga(data),
        WebpFormat => Webp(data),
        TiffFormat => Tiff(data),
        PbmFormat => Pbm(data),
        _ => null,
    };

    private static string Ends(long needed, int length) =>
        string.Create(CultureInfo.InvariantCulture, $"its structure needs {needed:N0} bytes but the file has {length:N0}");

    private static string? Png(ReadOnlySpan<byte> d)
    {
        long i = 8;
        while (i + 8 <= d.Length)
        {
            uint length = BinaryPrimitives.ReadUInt32BigEndian(d[(int)i..]);
            ReadOnlySpan<byte> type = d.Slice((int)i + 4, 4);
            long next = i + 12 + length;
            if (next > d.Length)
            {
                return Ends(next, d.Length);
            }

            if (type.SequenceEqual("IEND"u8))
            {
                return null;
            }

            i = next;
        }

        return "the file ends before its IEND chunk";
    }

    private static string? Jpeg(ReadOnlySpan<byte> d)
    {
        int i = 2;
        while (true)
        {
            int ff = i < d.Length ? d[i..].IndexOf((byte)0xFF) : -1;
            if (ff < 0)
            {
                return "the file ends before the end-of-image marker";
            }

            i += ff;
            while (i < d.Length && d[i] == 0xFF)
            {
                i++;
            }

            if (i >= d.Length)
            {
                return "the file ends before the end-of-image marker";
            }

            byte marker = d[i++];
            if (marker == 0xD9)
            {
                return null; // EOI
            }

            if (marker is 0x01 or (>= 0xD0 and <= 0xD7))
            {
                continue; // markers without a length
            }

            if (i + 2 > d.Length)
            {
                return Ends(i + 2, d.Length);
            }

            int length = BinaryPrimitives.ReadUInt16BigEndian(d[i..]);
            if (length < 2)
            {
                return null; // corrupt, not truncated: the decoder reports it
            }

            if (i + length > d.Length)
            {
                return Ends(i + length, d.Length);
            }

            i += length;
            if (marker != 0xDA)
            {
                continue;
            }

            // Entropy-coded data after SOS runs to the next marker other than stuffing (FF 00) and restarts.
            while (true)
            {
                int next = i < d.Length ? d[i..].IndexOf((byte)0xFF) : -1;
                if (next < 0 || i + next + 1 >= d.Length)
                {
                    return "the file ends inside the compressed image data, before the end-of-image marker";
                }

                i += next;
                byte after = d[i + 1];
                if (after == 0x00 || after is >= 0xD0 and <= 0xD7)
                {
                    i += 2;
                    continue;
                }

                if (after == 0xFF)
                {
                    i++;
                    continue;
                }

                break; // a marker: the outer loop reads it
            }
        }
    }

    private static string? Gif(ReadOnlySpan<byte> d)
    {
        if (d.Length < 13)
        {
            return Ends(13, d.Length);
        }

        long i = 13;
        if ((d[10] & 0x80) != 0)
        {
            i += 3L << ((d[10] & 7) + 1);
        }

        while (true)
        {
            if (i >= d.Length)
            {
                return "the file ends before its trailer";
            }

            switch (d[(int)i])
            {
                case 0x21: // extension: label, then sub-blocks
                    i = SubBlocks(d, i + 2);
                    break;
                case 0x2C: // image descriptor
                    if (i + 10 > d.Length)
                    {
                        return Ends(i + 10, d.Length);
                    }

                    byte packed = d[(int)i + 9];
                    i += 10;
                    if ((packed & 0x80) != 0)
                    {
                        i += 3L << ((packed & 7) + 1);
                    }

                    i = SubBlocks(d, i + 1); // after the LZW minimum code size
                    break;
                case 0x3B: // trailer: every block is complete
                    return null;
                default:
                    return null; // corruption, not truncation: the decoder judges
            }

            if (i > d.Length)
            {
                return "the file ends inside a block";
            }
        }
    }

    /// <summary>Skips GIF sub-blocks from <paramref name="i"/>; returns the offset after the terminator, or past the end when truncated.</summary>
    private static long SubBlocks(ReadOnlySpan<byte> d, long i)
    {
        while (i < d.Length)
        {
            byte size = d[(int)i];
            i += 1 + size;
            if (size == 0)
            {
                return i;
            }
        }

        return d.Length + 1L;
    }

    private static string? Bmp(ReadOnlySpan<byte> d)
    {
        if (d.Length < 30)
        {
            return Ends(30, d.Length);
        }

        uint fileSize = BinaryPrimitives.ReadUInt32LittleEndian(d[2..]);
        long pixelOffset = BinaryPrimitives.ReadUInt32LittleEndian(d[10..]);
        int headerSize = BinaryPrimitives.ReadInt32LittleEndian(d[14..]);
        long width, height;
        int bits;
        uint compression = 0;
        if (headerSize == 12)
        {
            width = BinaryPrimitives.ReadUInt16LittleEndian(d[18..]);
            height = BinaryPrimitives.ReadUInt16LittleEndian(d[20..]);
            bits = BinaryPrimitives.ReadUInt16LittleEndian(d[24..]);
        }
        else if (d.Length >= 34)
        {
            width = Math.Abs((long)BinaryPrimitives.ReadInt32LittleEndian(d[18..]));
            height = Math.Abs((long)BinaryPrimitives.ReadInt32LittleEndian(d[22..]));
            bits = BinaryPrimitives.ReadUInt16LittleEndian(d[28..]);
            compression = BinaryPrimitives.ReadUInt32LittleEndian(d[30..]);
        }
        else
        {
            return Ends(34, d.Length);
        }

        if (compression is 0 or 3 or 6)
        {
            long needed = pixelOffset + ((((width * bits) + 31) / 32) * 4 * height);
            return needed > d.Length ? Ends(needed, d.Length) : null;
        }

        return fileSize > d.Length ? Ends(fileSize, d.Length) : null;
    }

    private static string? Tga(ReadOnlySpan<byte> d)
    {
        if (d.Length < 18)
        {
            return Ends(18, d.Length);
        }

        int type = d[2];
        long pixels = (long)BinaryPrimitives.ReadUInt16LittleEndian(d[12..]) * BinaryPrimitives.ReadUInt16LittleEndian(d[14..]);
        int bytesPerPixel = (d[16] + 7) / 8;
        long i = 18 + d[0] + (d[1] == 1 ? BinaryPrimitives.ReadUInt16LittleEndian(d[5..]) * ((d[7] + 7) / 8) : 0);
        if (type is 1 or 2 or 3)
        {
            long needed = i + (pixels * bytesPerPixel);
            return needed > d.Length ? Ends(needed, d.Length) : null;
        }

        if (type is not (9 or 10 or 11))
        {
            return null;
        }

        for (long done = 0; done < pixels;)
        {
            if (i >= d.Length)
            {
                return string.Create(CultureInfo.InvariantCulture, $"the file ends after {done:N0} of {pixels:N0} run-length coded pixels");
            }

            byte header = d[(int)i++];
            int count = (header & 0x7F) + 1;
            i += (header & 0x80) != 0 ? bytesPerPixel : (long)count * bytesPerPixel;
            done += count;
            if (i > d.Length)
            {
                return Ends(i, d.Length);
            }
        }

        return null;
    }

    private static string? Webp(ReadOnlySpan<byte> d)
    {
        if (d.Length < 12)
        {
            return Ends(12, d.Length);
        }

        long needed = 8L + BinaryPrimitives.ReadUInt32LittleEndian(d[4..]);
        return needed > d.Length ? Ends(needed, d.Length) : null;
    }
}
