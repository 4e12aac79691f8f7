using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;
using SimClrV2.Sophon.Results;

namespace SimClrV2.Cli;

/// <summary>Writes a float32 matrix as a NumPy .npy file (format version 1.0, C order, little-endian).</summary>
internal static class NumpyFile
{
    public static void Write(string path, float[] rows, int count, int dimension)
    {
        string dict = string.Create(CultureInfo.InvariantCulture, $"{{'descr': '<f4', 'fortran_order': False, 'shape': ({count}, {dimension}), }}");
        // The magic (6), version (2), header length (2) and the header, padded with spaces and ending in '\n', fill a multiple of 64 bytes.
        int unpadded = 10 + dict.Length + 1;
        string header = dict + new string(' ', ((unpadded + 63) / 64 * 64) - unpadded) + "\n";
        OutputFile.Write(path, "--output", [], stream =>
        {
            stream.Write([0x93, (byte)'N', (byte)'U', (byte)'M', (byte)'P', (byte)'Y', 1, 0]);
            stream.Write([(byte)(header.Length & 0xff), (byte)(header.Length >> 8)]);
            stream.Write(Encoding.ASCII.GetBytes(header));
            if (!BitConverter.IsLittleEndian)
            {
                throw new PlatformNotSupportedException("Writing .npy on a big-endian machine is not supported.");
            }

            stream.Write(MemoryMarshal.AsBytes(rows.AsSpan(0, count * dimension)));
        });
    }
}
