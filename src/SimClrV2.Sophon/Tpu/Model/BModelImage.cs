using System.Buffers.Binary;
using System.Text;
using SimClrV2.Sophon.Decode.Files;

namespace SimClrV2.Sophon.Tpu;

/// <summary>
/// The checks libsophon's bmodel reader makes before it trusts a bmodel, made in managed code
/// first, so a damaged file is a clear exception naming what is wrong (the runtime, loading through
/// a path, would only return false; bytes are loaded through a private copy, see
/// <see cref="SophonModel"/>, because <c>bmrt_load_bmodel_data</c> ends the process on damage deeper
/// than these checks reach). The container is a 64-byte header
/// (magic <c>0xFF55AAEE</c>, header size, flatbuffer size, binary size), the model's flatbuffer,
/// then the binary region; the flatbuffer's top level is verified the way flatbuffers' verifier
/// does (root table, vtables and offsets in bounds and aligned, the required strings type,
/// version, time and chip NUL-terminated, the net vector and each net's name).
/// </summary>
internal sealed class BModelImage
{
    /// <summary>The magic of bmodels written by TPU-MLIR (and the older net compiler).</summary>
    public const uint Magic = 0xFF55AAEE;

    /// <summary>The header's size: four uint32 fields and twelve reserved ones.</summary>
    public const int HeaderSize = 64;

    private BModelImage(string chip, IReadOnlyList<string> networks, long length)
    {
        Chip = chip;
        Networks = networks;
        Length = length;
    }

    /// <summary>The chip the bmodel was compiled for (e.g. <c>BM1684X</c>).</summary>
    public string Chip { get; }

    /// <summary>The networks' names, in file order.</summary>
    public IReadOnlyList<string> Networks { get; }

    /// <summary>Header + flatbuffer + binary bytes the header declares.</summary>
    public long Length { get; }

    /// <summary>Checks a whole bmodel in memory.</summary>
    /// <param name="data">The bytes.</param>
    /// <param name="source">Its name for messages.</param>
    /// <returns>What the flatbuffer's top level says.</returns>
    /// <exception cref="SophonModelException">It is not a sound bmodel; the message says what is wrong.</exception>
    public static BModelImage Check(ReadOnlySpan<byte> data, string source)
    {
        (int header, int flatbuffer, long total) = Sizes(data, data.Length, source);
        return Verify(data.Slice(header, flatbuffer), total, source);
    }

    /// <summary>Checks a bmodel file: its header against its length, then its flatbuffer (read from the file, nothing more).</summary>
    /// <param name="path">The file.</param>
    /// <returns>What the flatbuffer's top level says.</returns>
    /// <exception cref="SophonModelException">It is not a sound bmodel.</exception>
    /// <exception cref="FileNotFoundException">No file at the path.</exception>
    /// <exception cref="InvalidDataException">The path is a folder, a FIFO or a device.</exception>
    public static BModelImage CheckFile(string path)
    {
        using FileStream file = InputFile.OpenRead(path, "bmodel", bufferSize: 1, missingHint: "pass the path of a .bmodel file compiled by TPU-MLIR.");
        Span<byte> header = stackalloc byte[HeaderSize];
        int read = file.ReadAtLeast(header, HeaderSize, throwOnEndOfStream: false);
        (int headerSize, int flatbuffer, long total) = Sizes(header[..read], file.Length, $"'{path}'");
        byte[] model = new byte[flatbuffer];
        file.Position = headerSize;
        file.ReadExactly(model);
        return Verify(model, total, $"'{path}'");
    }

    private static (int Header, int Flatbuffer, long Total) Sizes(ReadOnlySpan<byte> header, long length, string source)
    {
        if (length <= HeaderSize || header.Length < HeaderSize)
        {
            throw new SophonModelException($"{source} is {length} bytes; a bmodel starts with a {HeaderSize}-byte header and a model description, so it is truncated or not a bmodel.");
        }

        uint magic = BinaryPrimitives.ReadUInt32LittleEndian(header);
        if (magic != Magic)
        {
            throw new SophonModelException($"{source} is not a bmodel: it starts with 0x{magic:X8}, a bmodel with 0x{Magic:X8}. Compile the model with TPU-MLIR (model_deploy.py writes .bmodel files).");
        }

        uint headerSize = BinaryPrimitives.ReadUInt32LittleEndian(header[4..]);
        uint flatbuffer = BinaryPrimitives.ReadUInt32LittleEndian(header[8..]);
        ulong binary = BinaryPrimitives.ReadUInt64LittleEndian(header[12..]); // uint32, or uint64 in newer writers (reserved[0] is zero in older ones)
        ulong total = (ulong)headerSize + flatbuffer + binary;
        if (headerSize < HeaderSize || flatbuffer < 8 || flatbuffer > int.MaxValue || total > (ulong)length)
        {
            throw new SophonModelException($"{source} is truncated or damaged: its header declares {total} bytes (header {headerSize}, model description {flatbuffer}, binary {binary}), it has {length}.");
        }

        return ((int)headerSize, (int)flatbuffer, (long)total);
    }

    private static BModelImage Verify(ReadOnlySpan<byte> fb, long total, string source)
    {
        var reader = new Reader(fb, source);
        int root = reader.Offset(0, "the root offset");
        reader.Table(root, "the model table");
        string[] required = ["type", "version", "time", "chip"];
        string chip = string.Empty;
        for (int id = 0; id < required.Length; id++)
        {
            string value = reader.String(root, id, $"the model's {required[id]}");
            chip = id == 3 ? value : chip;
        }

        int nets = reader.Field(root, 4, "the model's net list");
        uint count = reader.U32(nets, "the net count");
        if (count < 1 || count > (uint)((fb.Length - nets - 4) / 4))
        {
            throw reader.Broken($"the net count ({count})");
        }

        var names = new string[count];
        for (int i = 0; i < count; i++)
        {
            int net = reader.Offset(nets + 4 + (4 * i), $"net {i}");
            names[i] = reader.String(net, 0, $"the name of net {i}");
        }

        return new BModelImage(chip, names, total);
    }

    /// <summary>Bounds- and alignment-checked reads of a flatbuffer, as flatbuffers' verifier makes them.</summary>
    private readonly ref struct Reader(ReadOnlySpan<byte> fb, string source)
    {
        private readonly ReadOnlySpan<byte> _fb = fb;

        public SophonModelException Broken(string what) =>
            new($"{source}: the model description (flatbuffer) is broken at {what}: the file is damaged, or encrypted (encrypted bmodels need the vendor's decrypt loader). Recompile or copy the bmodel again.");

        public uint U32(int at, string what) =>
            at >= 0 && at % 4 == 0 && at + 4 <= _fb.Length ? BinaryPrimitives.ReadUInt32LittleEndian(_fb[at..]) : throw Broken(what);

        /// <summary>The position a uoffset at <paramref name="at"/> points to.</summary>
        public int Offset(int at, string what)
        {
            long target = at + (long)U32(at, what);
            return target > at && target % 4 == 0 && target + 4 <= _fb.Length ? (int)target : throw Broken(what);
        }

        /// <summary>Checks a table's vtable and inline size; returns the vtable position.</summary>
        public (int VTable, int VTableSize, int TableSize) Table(int table, string what)
        {
            long vtable = table - (long)(int)U32(table, what);
            if (vtable < 0 || vtable % 2 != 0 || vtable + 4 > _fb.Length)
            {
                throw Broken(what);
            }

            int vtableSize = BinaryPrimitives.ReadUInt16LittleEndian(_fb[(int)vtable..]);
            int tableSize = BinaryPrimitives.ReadUInt16LittleEndian(_fb[((int)vtable + 2)..]);
            return vtableSize >= 4 && vtableSize % 2 == 0 && vtable + vtableSize <= _fb.Length && tableSize >= 4 && (long)table + tableSize <= _fb.Length
                ? ((int)vtable, vtableSize, tableSize)
                : throw Broken(what);
        }

        /// <summary>The position a required uoffset field of a table points to.</summary>
        public int Field(int table, int id, string what)
        {
            (int vtable, int vtableSize, int tableSize) = Table(table, what);
            int slot = 4 + (2 * id);
            int offset = slot + 2 <= vtableSize ? BinaryPrimitives.ReadUInt16LittleEndian(_fb[(vtable + slot)..]) : 0;
            return offset != 0 && offset + 4 <= tableSize ? Offset(table + offset, what) : throw Broken(what + " (missing)");
        }

        /// <summary>A required string field: length in bounds, NUL-terminated, UTF-8.</summary>
        public string String(int table, int id, string what)
        {
            int at = Field(table, id, what);
            uint length = U32(at, what);
            if (length > (uint)_fb.Length || at + 4L + length + 1 > _fb.Length || _fb[at + 4 + (int)length] != 0)
            {
                throw Broken(what);
            }

            return Encoding.UTF8.GetString(_fb.Slice(at + 4, (int)length));
        }
    }
}
