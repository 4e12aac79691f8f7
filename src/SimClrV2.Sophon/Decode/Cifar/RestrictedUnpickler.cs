using System.Buffers.Binary;
using System.Text;

namespace SimClrV2.Sophon.Decode.Cifar;

/// <summary>
/// A Python pickle reader for data files only: it understands the opcodes of protocols 0-2 that
/// plain containers use, and exactly three globals (numpy's <c>_reconstruct</c>, <c>ndarray</c> and
/// <c>dtype</c>), which it interprets as data - nothing is ever looked up or executed. Anything else
/// (another global, an unknown opcode, a truncated stream, a malformed array) is refused with an
/// <see cref="InvalidDataException"/> that names the opcode and the offset.
/// </summary>
internal sealed partial class RestrictedUnpickler
{
    private const int MaxMemo = 1 << 20;

    /// <summary>Objects (containers, strings, numbers) one pickle may create: the CIFAR-10 files make about 20,000; this bounds the memory a hostile file can take.</summary>
    internal const int MaxObjects = 4 << 20;

    /// <summary>Containers (dicts, lists, tuples) one pickle may create; each costs far more than the byte that makes it.</summary>
    internal const int MaxContainers = 1 << 16;

    /// <summary>Bytes read ahead for a value whose declared length cannot be checked against the stream's length.</summary>
    private const int ReadChunk = 1 << 20;

    private readonly Stream _stream;
    private readonly string _source;
    private readonly List<object?> _stack = new();
    private readonly Stack<int> _marks = new();
    private readonly Dictionary<int, object?> _memo = new();
    private long _opcodeOffset;
    private long _position;
    private int _objects;
    private int _containers;

    private RestrictedUnpickler(Stream stream, string source)
    {
        _stream = stream;
        _source = source;
    }

    /// <summary>Reads one pickled object.</summary>
    /// <param name="stream">The pickle stream.</param>
    /// <param name="source">A name for error messages (the file path).</param>
    /// <returns>The object: dictionaries (<see cref="PickleDict"/>), lists, tuples (object?[]), byte[] (Python 2 str / bytes), string, long, bool, null, <see cref="NumpyArray"/>.</returns>
    public static object? Load(Stream stream, string source)
    {
        ArgumentNullException.ThrowIfNull(stream);
        return new RestrictedUnpickler(stream, source).Run();
    }

    private object? Run()
    {
        while (true)
        {
            _opcodeOffset = _position;
            int op = _stream.ReadByte();
            _position += op >= 0 ? 1 : 0;
            if (op < 0)
            {
                throw Error("the stream ends before the STOP opcode (truncated file?)");
            }

            switch (op)
            {
                case 0x80: // PROTO
                    int protocol = ReadByte();
                    if (protocol > 2)
                    {
                        throw Error($"pickle protocol {protocol} is not supported (the CIFAR-10 python files use protocol 2)");
                    }

                    break;
                case '.': // STOP
                    if (_stack.Count != 1)
                    {
                        throw Error($"STOP with {_stack.Count} objects on the stack");
                    }

                    return _stack[0];
                case '(': _marks.Push(_stack.Count); break; // MARK
                case '}': Push(Container(new PickleDict())); break; // EMPTY_DICT
                case ']': Push(Container(new List<object?>())); break; // EMPTY_LIST
                case ')': Push(Container(Array.Empty<object?>())); break; // EMPTY_TUPLE
                case 'N': Push(null); break; // NONE
                case 0x88: Push(true); break; // NEWTRUE
                case 0x89: Push(false); break; // NEWFALSE
                case 'K': Push((long)ReadByte()); break; // BININT1
                case 'M': Push((long)BinaryPrimitives.ReadUInt16LittleEndian(ReadBytes(2))); break; // BININT2
                case 'J': Push((long)BinaryPrimitives.ReadInt32LittleEndian(ReadBytes(4))); break; // BININT
                case 'U': Push(ReadBytes(ReadByte())); break; // SHORT_BINSTRING
                case 'T': Push(ReadBytes(ReadLength())); break; // BINSTRING
                case 'C': Push(ReadBytes(ReadByte())); break; // SHORT_BINBYTES
                case 'B': Push(ReadBytes(ReadLength())); break; // BINBYTES
                case 'X': Push(DecodeUtf8(ReadBytes(ReadLength()))); break; // BINUNICODE
                case 0x8c: Push(DecodeUtf8(ReadBytes(ReadByte()))); break; // SHORT_BINUNICODE
                case 'q': Memoize(ReadByte()); break; // BINPUT
                case 'r': Memoize(ReadMemoIndex()); break; // LONG_BINPUT
                case 'h': Push(Recall(ReadByte())); break; // BINGET
                case 'j': Push(Recall(ReadMemoIndex())); break; // LONG_BINGET
                case 't': Push(Container(PopToMark().ToArray())); break; // TUPLE
                case 0x85: Push(Container(new[] { Pop() })); break; // TUPLE1
                case 0x86: { object? b = Pop(), a = Pop(); Push(Container(new[] { a, b })); break; } // TUPLE2
                case 0x87: { object? c = Pop(), b = Pop(), a = Pop(); Push(Container(new[] { a, b, c })); break; } // TUPLE3
                case 'a': { object? item = Pop(); Peek<List<object?>>("APPEND").Add(item); break; }
                case 'e': { List<object?> items = PopToMark(); Peek<List<object?>>("APPENDS").AddRange(items); break; }
                case 's': { object? value = Pop(), key = Pop(); Peek<PickleDict>("SETITEM").Set(key, value, this); break; }
                case 'u': // SETITEMS
                {
                    List<object?> items = PopToMark();
                    if (items.Count % 2 != 0)
                    {
                        throw Error("SETITEMS with an odd number of items");
                    }

                    PickleDict dict = Peek<PickleDict>("SETITEMS");
                    for (int i = 0; i < items.Count; i += 2)
                    {
                        dict.Set(items[i], items[i + 1], this);
                    }

                    break;
                }

                case 'c': Push(ReadGlobal()); break; // GLOBAL
                case 'R': { object? args = Pop(), callable = Pop(); Push(Reduce(callable, args)); break; } // REDUCE
                case 'b': { object? state = Pop(); Build(Peek<object>("BUILD"), state); break; } // BUILD
                default:
                    throw Error($"opcode 0x{op:x2} ('{(op is >= 32 and < 127 ? (char)op : '?')}') is not allowed in a data file; only plain containers and numpy arrays are read");
            }
        }
    }

    private NumpyGlobal ReadGlobal()
    {
        string module = ReadLine();
        string name = ReadLine();
        return (module, name) switch
        {
            ("numpy.core.multiarray" or "numpy._core.multiarray", "_reconstruct") => NumpyGlobal.Reconstruct,
            ("numpy", "ndarray") => NumpyGlobal.NdArray,
            ("numpy", "dtype") => NumpyGlobal.DType,
            _ => throw Error($"global '{module}.{name}' is not allowed; only numpy arrays (numpy.core.multiarray._reconstruct, numpy.ndarray, numpy.dtype) are read, and nothing is executed"),
        };
    }

    private object Reduce(object? callable, object? args)
    {
        object?[] tuple = args as object?[] ?? throw Error("REDUCE arguments are not a tuple");
        switch (callable)
        {
            case NumpyGlobal.Reconstruct when tuple.Length == 3 && tuple[0] is NumpyGlobal.NdArray:
                return new NumpyArray();
            case NumpyGlobal.DType when tuple.Length >= 1 && tuple[0] is byte[] or string:
                return new NumpyDType(tuple[0] is byte[] b ? Encoding.Latin1.GetString(b) : (string)tuple[0]!);
            default:
                throw Error($"REDUCE of {Describe(callable)} is not allowed; only numpy array and dtype reconstruction is");
        }
    }

    private void Build(object target, object? state)
    {
        object?[] tuple = state as object?[] ?? throw Error("BUILD state is not a tuple");
        switch (target)
        {
            case NumpyDType dtype:
                // (version, byte order, subarray, names, fields, elsize, alignment, flags)
                if (tuple.Length >= 2 && tuple[1] is byte[] or string)
                {
                    string order = tuple[1] is byte[] o ? Encoding.Latin1.GetString(o) : (string)tuple[1]!;
                    dtype.ByteOrder = order;
                }

                break;
            case NumpyArray array:
                // (version, shape, dtype, is_fortran, raw data)
                if (tuple.Length != 5 || tuple[1] is not object?[] shape || tuple[2] is not NumpyDType dtypeOfArray || tuple[3] is not bool fortran || tuple[4] is not byte[] data)
                {
                    throw Error("numpy array state is not (version, shape, dtype, fortran, data)");
                }

                if (fortran)
                {
                    throw Error("Fortran-ordered numpy arrays are not supported");
                }

                var dims = new int[shape.Length];
                long total = 1;
                for (int i = 0; i < shape.Length; i++)
                {
                    if (shape[i] is not long d || d < 0 || d > int.MaxValue)
                    {
                        throw Error($"numpy array dimension {i} is not a valid size");
                    }

                    dims[i] = (int)d;
                    total *= d;
                }

                int itemSize = dtypeOfArray.ItemSize ?? throw Error($"numpy dtype '{dtypeOfArray.Descr}' is not supported; only uint8 ('u1') arrays are read");
                if (total * itemSize != data.Length)
                {
                    throw Error($"numpy array of shape ({string.Join(", ", dims)}) needs {total * itemSize} bytes but holds {data.Length}");
                }

                array.Shape = dims;
                array.DType = dtypeOfArray.Descr;
                array.Data = data;
                break;
            default:
                throw Error($"BUILD on {Describe(target)} is not allowed");
        }
    }

    private void Push(object? value)
    {
        if (++_objects > MaxObjects)
        {
            throw Error($"more than {MaxObjects:N0} objects; a CIFAR-10 file has about 20,000, so this is not one (or it is built to exhaust memory)");
        }

        _stack.Add(value);
    }

    private T Container<T>(T container)
    {
        if (++_containers > MaxContainers)
        {
            throw Error($"more than {MaxContainers:N0} dicts, lists and tuples; a CIFAR-10 file has a handful, so this is not one (or it is built to exhaust memory)");
        }

        return container;
    }

    private object? Pop()
    {
        if (_stack.Count == 0 || (_marks.Count > 0 && _marks.Peek() == _stack.Count))
        {
            throw Error("stack underflow");
        }

        object? value = _stack[^1];
        _stack.RemoveAt(_stack.Count - 1);
        return value;
    }

    private T Peek<T>(string opcode)
    {
        if (_stack.Count == 0 || _stack[^1] is not T value)
        {
            throw Error($"{opcode} expects a {typeof(T).Name} on the stack, found {Describe(_stack.Count == 0 ? null : _stack[^1])}");
        }

        return value;
    }

    private List<object?> PopToMark()
    {
        if (_marks.Count == 0)
        {
            throw Error("no MARK on the stack");
        }

        int mark = _marks.Pop();
        List<object?> items = _stack.GetRange(mark, _stack.Count - mark);
        _stack.RemoveRange(mark, _stack.Count - mark);
        return items;
    }

    private void Memoize(int index)
    {
        if (_stack.Count == 0)
        {
            throw Error("memo put with an empty stack");
        }

        if (index < 0 || index > MaxMemo)
        {
            throw Error($"memo index {index} is out of range");
        }

        _memo[index] = _stack[^1];
    }

    private object? Recall(int index) => _memo.TryGetValue(index, out object? value) ? value : throw Error($"memo index {index} was never stored");

    internal InvalidDataException Error(string message) =>
        new($"Cannot read the pickle '{_source}' at byte {_opcodeOffset}: {message}.");

    private static string Describe(object? value) => value switch
    {
        null => "None",
        NumpyGlobal g => $"numpy global {g}",
        _ => value.GetType().Name,
    };

    private enum NumpyGlobal
    {
        Reconstruct,
        NdArray,
        DType,
    }

    private sealed class NumpyDType(string descr)
    {
        public string Descr { get; } = descr;

        public string ByteOrder { get; set; } = "|";

        public int? ItemSize => Descr is "u1" or "|u1" ? 1 : null;
    }
}
