using System.Buffers.Binary;

namespace SimClrV2.Sophon.Decode;

/// <summary>TIFF: every strip or tile the first image directory points at must lie inside the file.</summary>
internal static partial class EncodedImageCheck
{
    private static string? Tiff(ReadOnlySpan<byte> d)
    {
        if (d.Length < 8)
        {
            return Ends(8, d.Length);
        }

        bool little = d[0] == (byte)'I';
        if (U16(d, 2, little) != 42)
        {
            return null; // BigTIFF or corruption: the decoder judges
        }

        long ifd = U32(d, 4, little);
        if (ifd + 2 > d.Length)
        {
            return Ends(ifd + 2, d.Length);
        }

        int count = U16(d, (int)ifd, little);
        if (ifd + 2 + (count * 12L) + 4 > d.Length)
        {
            return Ends(ifd + 2 + (count * 12L) + 4, d.Length); // the entries and the next-IFD offset
        }

        (int Type, long Count, long Field)? offsets = null, sizes = null;
        for (int e = 0; e < count; e++)
        {
            int at = (int)ifd + 2 + (e * 12);
            int tag = U16(d, at, little);
            var entry = (Type: U16(d, at + 2, little), Count: (long)U32(d, at + 4, little), Field: (long)at + 8);
            long valueBytes = entry.Count * (entry.Type switch { 3 or 8 => 2, 4 or 9 or 11 => 4, 5 or 10 or 12 => 8, _ => 1 });
            if (valueBytes > 4 && U32(d, at + 8, little) + valueBytes > d.Length)
            {
                return Ends(U32(d, at + 8, little) + valueBytes, d.Length); // a value stored after the entries
            }

            if (tag is 273 or 324)
            {
                offsets = entry;
            }
            else if (tag is 279 or 325)
            {
                sizes = entry;
            }
        }

        if (offsets is not { } o || sizes is not { } s || o.Count != s.Count)
        {
            return null;
        }

        for (long k = 0; k < o.Count; k++)
        {
            long? start = Value(d, o, k, little);
            long? size = Value(d, s, k, little);
            if (start is null || size is null)
            {
                return "the file ends inside its strip table";
            }

            if (start + size > d.Length)
            {
                return Ends(start.Value + size.Value, d.Length);
            }
        }

        return null;
    }

    /// <summary>Entry k of a SHORT or LONG array field (inline when it fits in 4 bytes); null when it lies past the end.</summary>
    private static long? Value(ReadOnlySpan<byte> d, (int Type, long Count, long Field) entry, long k, bool little)
    {
        int size = entry.Type == 3 ? 2 : 4;
        long start = entry.Count * size <= 4 ? entry.Field : U32(d, (int)entry.Field, little);
        long at = start + (k * size);
        if (at + size > d.Length)
        {
            return null;
        }

        return size == 2 ? U16(d, (int)at, little) : U32(d, (int)at, little);
    }

    private static int U16(ReadOnlySpan<byte> d, int at, bool little) =>
        little ? BinaryPrimitives.ReadUInt16LittleEndian(d[at..]) : BinaryPrimitives.ReadUInt16BigEndian(d[at..]);

    private static uint U32(ReadOnlySpan<byte> d, int at, bool little) =>
        little ? BinaryPrimitives.ReadUInt32LittleEndian(d[at..]) : BinaryPrimitives.ReadUInt32BigEndian(d[at..]);
}
