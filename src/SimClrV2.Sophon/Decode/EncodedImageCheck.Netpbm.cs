using System.Globalization;

namespace SimClrV2.Sophon.Decode;

/// <summary>PBM/PGM/PPM: the header, then every sample the header promises (binary by size, plain text sample by sample).</summary>
internal static partial class EncodedImageCheck
{
    private static string? Pbm(ReadOnlySpan<byte> d)
    {
        if (d.Length < 2 || d[0] != (byte)'P' || d[1] is < (byte)'1' or > (byte)'6')
        {
            return null;
        }

        char kind = (char)d[1];
        int i = 2;
        var values = new long[kind is '1' or '4' ? 2 : 3];
        for (int v = 0; v < values.Length; v++)
        {
            i = SkipSpaceAndComments(d, i);
            long value = 0;
            while (i < d.Length && d[i] is >= (byte)'0' and <= (byte)'9' && value < int.MaxValue)
            {
                value = (value * 10) + (d[i++] - '0');
            }

            values[v] = value;
        }

        long width = values[0], height = values[1];
        int sampleBytes = values.Length == 3 && values[2] > 255 ? 2 : 1;
        if (kind is '4' or '5' or '6')
        {
            i++; // the single whitespace before the data
            long bytes = kind switch
            {
                '4' => ((width + 7) / 8) * height,
                '5' => width * height * sampleBytes,
                _ => 3 * width * height * sampleBytes,
            };
            return i + bytes > d.Length ? Ends(i + bytes, d.Length) : null;
        }

        // Plain (text) variants: count the samples present.
        long needed = (kind == '3' ? 3 : 1) * width * height;
        long found = 0;
        while (found < needed)
        {
            i = SkipSpaceAndComments(d, i);
            if (i >= d.Length)
            {
                return string.Create(CultureInfo.InvariantCulture, $"the file ends after {found:N0} of {needed:N0} samples");
            }

            if (kind == '1')
            {
                i++; // P1 samples are single digits, spaces optional
            }
            else
            {
                while (i < d.Length && !IsSpace(d[i]) && d[i] != '#')
                {
                    i++;
                }
            }

            found++;
        }

        return null;
    }

    private static int SkipSpaceAndComments(ReadOnlySpan<byte> d, int i)
    {
        while (i < d.Length && (IsSpace(d[i]) || d[i] == '#'))
        {
            if (d[i] == '#')
            {
                while (i < d.Length && d[i] != '\n')
                {
                    i++;
                }
            }
            else
            {
                i++;
            }
        }

        return i;
    }

    private static bool IsSpace(byte b) => b is (byte)' ' or (byte)'\t' or (byte)'\n' or (byte)'\r' or 0x0B or 0x0C;
}
