using System.Buffers.Binary;
using System.IO.Compression;
using SixLabors.ImageSharp.Formats.Bmp;
using SixLabors.ImageSharp.Formats.Gif;
using SixLabors.ImageSharp.Formats.Jpeg;
using SixLabors.ImageSharp.Formats.Pbm;
using SixLabors.ImageSharp.Formats.Png;
using SixLabors.ImageSharp.Formats.Tga;
using SixLabors.ImageSharp.Formats.Tiff;
using SixLabors.ImageSharp.Formats.Webp;

namespace SimClrV2.Sophon.Tests.TestSupport;

/// <summary>Encoded test images: every format the decoder reads, and PNGs that claim any size.</summary>
internal static class EncodedImages
{
    /// <summary>One encoder per format (and variant) the decoder reads.</summary>
    public static IEnumerable<TestCaseData> Formats()
    {
        yield return new TestCaseData("png", new PngEncoder());
        yield return new TestCaseData("jpg", new JpegEncoder { Quality = 90 });
        yield return new TestCaseData("bmp", new BmpEncoder());
        yield return new TestCaseData("gif", new GifEncoder());
        yield return new TestCaseData("tga", new TgaEncoder());
        yield return new TestCaseData("tga-rle", new TgaEncoder { Compression = TgaCompression.RunLength });
        yield return new TestCaseData("tif", new TiffEncoder());
        yield return new TestCaseData("webp", new WebpEncoder());
        yield return new TestCaseData("webp-lossless", new WebpEncoder { FileFormat = WebpFileFormatType.Lossless });
        yield return new TestCaseData("ppm", new PbmEncoder { Encoding = PbmEncoding.Binary, ColorType = PbmColorType.Rgb });
    }

    /// <summary>A valid PNG signature and IHDR claiming the size, one tiny IDAT and IEND (69 bytes or so).</summary>
    public static byte[] PngClaiming(int width, int height)
    {
        using var stream = new MemoryStream();
        stream.Write([0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A]);
        var ihdr = new byte[13];
        BinaryPrimitives.WriteInt32BigEndian(ihdr, width);
        BinaryPrimitives.WriteInt32BigEndian(ihdr.AsSpan(4), height);
        ihdr[8] = 8;
        ihdr[9] = 2;
        Chunk(stream, "IHDR", ihdr);
        using var compressed = new MemoryStream();
        using (var z = new ZLibStream(compressed, CompressionLevel.Optimal, leaveOpen: true))
        {
            z.Write(new byte[16]);
        }

        Chunk(stream, "IDAT", compressed.ToArray());
        Chunk(stream, "IEND", []);
        return stream.ToArray();
    }

    private static void Chunk(Stream stream, string type, byte[] data)
    {
        var header = new byte[8];
        BinaryPrimitives.WriteInt32BigEndian(header, data.Length);
        System.Text.Encoding.ASCII.GetBytes(type, header.AsSpan(4));
        stream.Write(header);
        stream.Write(data);
        var crc = new byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(crc, Crc32(header.AsSpan(4), data));
        stream.Write(crc);
    }

    private static uint Crc32(ReadOnlySpan<byte> type, ReadOnlySpan<byte> data)
    {
        uint c = 0xFFFFFFFF;
        foreach (byte b in (byte[])[.. type, .. data])
        {
            c ^= b;
            for (int k = 0; k < 8; k++)
            {
                c = (c & 1) != 0 ? 0xEDB88320 ^ (c >> 1) : c >> 1;
            }
        }

        return ~c;
    }
}
