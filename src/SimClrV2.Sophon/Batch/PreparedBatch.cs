using SimClrV2.Sophon.Decode;
using SimClrV2.Sophon.Infer;
using SimClrV2.Sophon.Results;

namespace SimClrV2.Sophon.Batch;

/// <summary>
/// A batch on its way to inference: the engine's buffer with its first <see cref="SlotCount"/>
/// image slots filled, and one entry per input in input order (inputs that failed to decode or
/// preprocess have an entry but no slot, so they never reach the engine). A batch whose buffer
/// could not be rented has no buffer: every input of it becomes an error entry.
/// </summary>
internal sealed class PreparedBatch
{
    private readonly List<Entry> _entries;
    private readonly int _capacity;

    /// <summary>A batch over a rented buffer.</summary>
    public PreparedBatch(InferenceBatch buffer)
    {
        Buffer = buffer;
        _capacity = buffer.Capacity;
        _entries = new(_capacity);
    }

    /// <summary>A batch without a buffer (renting one failed): its inputs get <paramref name="failure"/> as their error.</summary>
    public PreparedBatch(int capacity, string failure)
    {
        _capacity = capacity;
        _entries = new(capacity);
        Failure = failure;
    }

    /// <summary>The engine-owned tensor buffer; null when renting it failed.</summary>
    public InferenceBatch? Buffer { get; }

    /// <summary>Why this batch has no buffer, or null.</summary>
    public string? Failure { get; }

    /// <summary>Entries in input order.</summary>
    public IReadOnlyList<Entry> Entries => _entries;

    /// <summary>Filled image slots (0..Capacity).</summary>
    public int SlotCount { get; private set; }

    /// <summary>True when every slot is filled.</summary>
    public bool IsFull => (Buffer is null ? _entries.Count : SlotCount) == _capacity;

    /// <summary>Records an input whose pixels now fill slot <see cref="SlotCount"/>.</summary>
    public void AddImage(ImageInput input, int inputIndex, double decodeMs, double preprocessMs) =>
        _entries.Add(new Entry(input, inputIndex, SlotCount++, null, PredictionErrorKind.None, decodeMs, preprocessMs));

    /// <summary>Records an input that failed before inference.</summary>
    public void AddError(ImageInput input, int inputIndex, string error, PredictionErrorKind kind, double decodeMs, double preprocessMs) =>
        _entries.Add(new Entry(input, inputIndex, -1, error, kind, decodeMs, preprocessMs));

    /// <summary>One input of the batch.</summary>
    /// <param name="Input">The input.</param>
    /// <param name="InputIndex">Its position in the caller's sequence.</param>
    /// <param name="Slot">Its slot in the tensor, or -1 when it failed.</param>
    /// <param name="Error">Why it failed, or null.</param>
    /// <param name="ErrorKind">The kind of <paramref name="Error"/>.</param>
    /// <param name="DecodeMs">Decode time.</param>
    /// <param name="PreprocessMs">Preprocess time.</param>
    internal readonly record struct Entry(ImageInput Input, int InputIndex, int Slot, string? Error, PredictionErrorKind ErrorKind, double DecodeMs, double PreprocessMs);
}
