using System.Buffers.Binary;
using System.Text;

namespace SimClrV2.Sophon.Tests.TestSupport;

/// <summary>Writes protocol-2 pickle opcodes the way cPickle writes CIFAR-10 batches, for unpickler tests.</summary>
internal sealed class PickleWriter
{
    private readonly MemoryStream _stream = new();

    public PickleWriter Op(char op) => Byte((byte)op);

    public PickleWriter Byte(byte b)
    {
        _stream.WriteByte(b);
        return this;
    }

    public PickleWriter Int32(int value)
    {
        Span<byte> b = stackalloc byte[4];
        BinaryPrimitives.WriteInt32LittleEndian(b, value);
        _stream.Write(b);
        return this;
    }

    public PickleWriter ShortString(string s) => Op('U').Byte((byte)s.Length).Raw(Encoding.Latin1.GetBytes(s));

    public PickleWriter BinString(byte[] data) => Op('T').Int32(data.Length).Raw(data);

    public PickleWriter Int(int v) => v is >= 0 and < 256 ? Op('K').Byte((byte)v) : Op('J').Int32(v);

    public PickleWriter Global(string module, string name) => Op('c').Raw(Encoding.ASCII.GetBytes($"{module}\n{name}\n"));

    public PickleWriter Raw(byte[] data)
    {
        _stream.Write(data);
        return this;
    }

    public byte[] ToArray() => _stream.ToArray();

    /// <summary>A CIFAR-like batch: dict(data=uint8 array (n, cols), labels=[...], filenames=[...]).</summary>
    public static byte[] Cifar(byte[] data, int rows, int cols, int[] labels, string[] names, string dtype = "u1")
    {
        var w = new PickleWriter();
        w.Byte(0x80).Byte(2).Op('}').Op('(');
        w.ShortString("data");
        w.Global("numpy.core.multiarray", "_reconstruct");
        w.Global("numpy", "ndarray").Int(0).Byte(0x85).ShortString("b").Byte(0x87).Op('R');
        w.Op('(').Int(1).Int(rows).Int(cols).Byte(0x86);
        w.Global("numpy", "dtype").ShortString(dtype).Int(0).Int(1).Byte(0x87).Op('R');
        w.Op('(').Int(3).ShortString("|").Op('N').Op('N').Op('N').Int(-1).Int(-1).Int(0).Op('t').Op('b');
        w.Byte(0x89).BinString(data).Op('t').Op('b');
        w.ShortString("labels").Op(']').Op('(');
        foreach (int l in labels)
        {
            w.Int(l);
        }

        w.Op('e');
        w.ShortString("filenames").Op(']').Op('(');
        foreach (string n in names)
        {
            w.ShortString(n);
        }

        w.Op('e');
        w.Op('u').Op('.');
        return w.ToArray();
    }
}
