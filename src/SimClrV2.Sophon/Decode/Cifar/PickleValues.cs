using System.Text;

namespace SimClrV2.Sophon.Decode.Cifar;

/// <summary>A pickled dictionary; Python 2 byte-string keys are read as Latin-1 strings.</summary>
internal sealed class PickleDict
{
    private readonly Dictionary<string, object?> _items = new(StringComparer.Ordinal);

    public IReadOnlyDictionary<string, object?> Items => _items;

    public object? this[string key] => _items.TryGetValue(key, out object? v) ? v : null;

    public bool ContainsKey(string key) => _items.ContainsKey(key);

    internal void Set(object? key, object? value, RestrictedUnpickler reader)
    {
        string k = key switch
        {
            byte[] b => Encoding.Latin1.GetString(b),
            string s => s,
            long l => l.ToString(System.Globalization.CultureInfo.InvariantCulture),
            _ => throw reader.Error("dictionary key is not a string or an integer"),
        };
        _items[k] = value;
    }
}

/// <summary>A numpy array read from a pickle (C order).</summary>
internal sealed class NumpyArray
{
    public int[] Shape { get; set; } = [];

    public string DType { get; set; } = string.Empty;

    public byte[] Data { get; set; } = [];
}
