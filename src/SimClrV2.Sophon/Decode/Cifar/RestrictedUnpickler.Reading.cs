using System.Buffers.Binary;
using System.Text;

namespace SimClrV2.Sophon.Decode.Cifar;

/// <summary>The unpickler's reads from the stream: bytes, lengths checked against what is left, lines, UTF-8.</summary>
internal sealed partial class RestrictedUnpickler
{
    private int ReadByte()
    {
        int b = _stream.ReadByte();
        _position += b >= 0 ? 1 : 0;
        return b >= 0 ? b : throw Error("the stream ends inside an opcode argument (truncated file?)");
    }

    private int ReadMemoIndex() => BinaryPrimitives.ReadInt32LittleEndian(ReadBytes(4));

    private int ReadLength()
    {
        int length = BinaryPrimitives.ReadInt32LittleEndian(ReadBytes(4));
        if (length < 0 || (_stream.CanSeek && length > _stream.Length - _stream.Position) || length > Array.MaxLength)
        {
            throw Error($"length {length} runs past the end of the stream (truncated file?)");
        }

        return length;
    }

    /// <summary>
    /// Reads a value of a declared length. Where the stream's length is unknown, the buffer grows
    /// with the bytes that actually arrive, so a declared length the stream does not hold costs at
    /// most twice what was read before the stream ends, never the declared size.
    /// </summary>
    private byte[] ReadBytes(int count)
    {
        if (count == 0)
        {
            return [];
        }

        var buffer = new byte[_stream.CanSeek ? count : Math.Min(count, ReadChunk)];
        int filled = 0;
        while (true)
        {
            int read = _stream.Read(buffer, filled, buffer.Length - filled);
            if (read == 0)
            {
                throw Error("the stream ends inside a value (truncated file?)");
            }

            filled += read;
            _position += read;
            if (filled == count)
            {
                return buffer;
            }

            if (filled == buffer.Length)
            {
                Array.Resize(ref buffer, (int)Math.Min((long)buffer.Length * 2, count));
            }
        }
    }

    private string ReadLine()
    {
        var sb = new StringBuilder();
        while (true)
        {
            int b = ReadByte();
            if (b == '\n')
            {
                return sb.ToString();
            }

            if (sb.Length > 256 || b < 32 || b > 126)
            {
                throw Error("malformed GLOBAL name");
            }

            sb.Append((char)b);
        }
    }

    private string DecodeUtf8(byte[] bytes)
    {
        try
        {
            return new UTF8Encoding(false, true).GetString(bytes);
        }
        catch (DecoderFallbackException)
        {
            throw Error("invalid UTF-8 in a unicode string");
        }
    }
}
