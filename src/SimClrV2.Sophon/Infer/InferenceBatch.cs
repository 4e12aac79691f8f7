namespace SimClrV2.Sophon.Infer;

/// <summary>
/// One batch buffer owned by an engine: the input tensor (NCHW, in the engine's element type)
/// and the output rows (float, one per image). Rent it with <see cref="IInferenceEngine.RentBatch"/>.
/// </summary>
public abstract class InferenceBatch
{
    /// <summary>Creates the batch description.</summary>
    /// <param name="input">The engine input the buffer is laid out for.</param>
    /// <param name="capacity">Images the buffer holds.</param>
    /// <param name="outputLength">Values per output row.</param>
    protected InferenceBatch(EngineInput input, int capacity, int outputLength)
    {
        ArgumentNullException.ThrowIfNull(input);
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(outputLength, 1);
        EnsureFits(input, capacity, outputLength);
        Input = input;
        Capacity = capacity;
        OutputLength = outputLength;
    }

    /// <summary>
    /// Checks that a batch of <paramref name="capacity"/> images fits in single buffers (input tensor
    /// and output rows each at most <see cref="Array.MaxLength"/> elements). Engines call it when they
    /// are created, so a too-large batch size is refused with its numbers instead of overflowing later.
    /// </summary>
    /// <param name="input">The engine input.</param>
    /// <param name="capacity">Images per batch.</param>
    /// <param name="outputLength">Values per output row.</param>
    /// <exception cref="ArgumentOutOfRangeException">The batch is too large.</exception>
    internal static void EnsureFits(EngineInput input, int capacity, int outputLength)
    {
        ArgumentNullException.ThrowIfNull(input);
        long bytesPerImage = (long)input.ElementsPerImage * input.ElementType.SizeInBytes();
        long largest = Array.MaxLength / Math.Max(bytesPerImage, outputLength);
        if (capacity > largest)
        {
            throw new ArgumentOutOfRangeException(
                nameof(capacity),
                capacity,
                $"A batch of {capacity} images of {input.Channels}x{input.Height}x{input.Width} {input.ElementType} needs {capacity * bytesPerImage:N0} input bytes; one buffer holds at most {Array.MaxLength:N0}. Use a batch of at most {largest}.");
        }
    }

    /// <summary>The input layout of this batch.</summary>
    public EngineInput Input { get; }

    /// <summary>Images this batch holds.</summary>
    public int Capacity { get; }

    /// <summary>Values per output row.</summary>
    public int OutputLength { get; }

    /// <summary>
    /// Milliseconds of pure compute in the last <see cref="IInferenceEngine.RunAsync"/> of this batch, as
    /// the engine measured it (launch to sync on SOPHON, the session run on ONNX Runtime).
    /// </summary>
    public double ComputeMs { get; set; }

    /// <summary>The whole input tensor as bytes (Capacity x C x H x W elements).</summary>
    public abstract Span<byte> InputBytes { get; }

    /// <summary>The whole output as floats (Capacity x <see cref="OutputLength"/>).</summary>
    public abstract Span<float> Outputs { get; }

    /// <summary>The bytes of one image slot of the input tensor.</summary>
    /// <param name="slot">0..Capacity-1.</param>
    /// <returns>The slot's bytes.</returns>
    internal Span<byte> ImageSlot(int slot)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(slot);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(slot, Capacity);
        int size = Input.BytesPerImage;
        return InputBytes.Slice(slot * size, size);
    }

    /// <summary>
    /// The embedding rows, image by image (<see cref="IInferenceEngine.EmbeddingLength"/> floats each), filled
    /// by the same run as <see cref="Outputs"/>; empty when the engine fetches no embedding.
    /// </summary>
    public virtual Span<float> Embeddings => Span<float>.Empty;

    /// <summary>The embedding row of one image after a run (<paramref name="length"/> floats).</summary>
    internal ReadOnlySpan<float> EmbeddingRow(int slot, int length)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(slot);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(slot, Capacity);
        return Embeddings.Slice(slot * length, length);
    }

    /// <summary>The output row of one image after <see cref="IInferenceEngine.RunAsync"/>.</summary>
    /// <param name="slot">0..Capacity-1.</param>
    /// <returns>The row of raw network outputs (logits).</returns>
    internal ReadOnlySpan<float> OutputRow(int slot)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(slot);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(slot, Capacity);
        return Outputs.Slice(slot * OutputLength, OutputLength);
    }
}
