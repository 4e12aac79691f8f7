using SimClrV2.Sophon.Infer;

namespace SimClrV2.Sophon.Tpu;

/// <summary>
/// What the classifier needs of a network, decided and validated once when the model is loaded:
/// the one image input (NCHW, its dtype, scale and zero point), the logits output and its length per
/// image, the embedding output fetched with it (if any), and per stage (batch size) the shapes and
/// byte sizes the device buffers and launches use (every output gets a buffer: a launch passes all).
/// Sizes are computed here, never by bmrt's helpers (which throw C++ exceptions on bad values).
/// </summary>
internal sealed class NetworkPlan
{
    private NetworkPlan(SophonNetworkInfo network, EngineInput input, int outputIndex, int outputLength, int embeddingIndex, int embeddingLength, IReadOnlyList<StagePlan> stages)
    {
        Network = network;
        Input = input;
        OutputIndex = outputIndex;
        OutputLength = outputLength;
        EmbeddingIndex = embeddingIndex;
        EmbeddingLength = embeddingLength;
        Stages = stages;
        MaxBatchSize = stages[^1].Batch;
        IsBatchSizeFixed = Enumerable.Range(1, MaxBatchSize).Any(b => stages.All(s => s.Batch != b));
    }

    /// <summary>The network's info as read.</summary>
    public SophonNetworkInfo Network { get; }

    /// <summary>The input tensor.</summary>
    public SophonTensorInfo InputTensor => Network.Inputs[0];

    /// <summary>The logits output's position among the network's outputs.</summary>
    public int OutputIndex { get; }

    /// <summary>The logits output tensor.</summary>
    public SophonTensorInfo OutputTensor => Network.Outputs[OutputIndex];

    /// <summary>The embedding output's position, or -1 when none is fetched.</summary>
    public int EmbeddingIndex { get; }

    /// <summary>The embedding output tensor, or null.</summary>
    public SophonTensorInfo? EmbeddingTensor => EmbeddingIndex >= 0 ? Network.Outputs[EmbeddingIndex] : null;

    /// <summary>Embedding values per image (0 when none is fetched).</summary>
    public int EmbeddingLength { get; }

    /// <summary>Bytes of one image's embedding row in its dtype (0 when none is fetched).</summary>
    public int EmbeddingRowBytes => EmbeddingTensor is { } e ? EmbeddingLength * SophonNetworkInfo.ElementSize(e.DataType) : 0;

    /// <summary>The engine input the preprocessors write.</summary>
    public EngineInput Input { get; }

    /// <summary>Output values per image.</summary>
    public int OutputLength { get; }

    /// <summary>Stages by increasing batch size.</summary>
    public IReadOnlyList<StagePlan> Stages { get; }

    /// <summary>The largest stage's batch size.</summary>
    public int MaxBatchSize { get; }

    /// <summary>True when some batch size up to the largest has no stage of its own (it runs padded).</summary>
    public bool IsBatchSizeFixed { get; }

    /// <summary>Bytes of one image's output row in the output dtype.</summary>
    public int OutputRowBytes => OutputLength * SophonNetworkInfo.ElementSize(OutputTensor.DataType);

    /// <summary>Validates a network as an image classifier and plans its stages.</summary>
    /// <param name="net">The network's info.</param>
    /// <param name="source">The bmodel, for messages.</param>
    /// <param name="layout">The input layout the manifest or options name; null detects it from the shape.</param>
    /// <param name="logits">The logits output's name (the manifest's outputName); null: the first output.</param>
    /// <param name="embedding">Chooses the embedding output from the output names and the logits' name (the core's rule); null: none.</param>
    /// <returns>The plan.</returns>
    /// <exception cref="SophonModelException">The network is not an image classifier this engine runs.</exception>
    public static NetworkPlan Create(SophonNetworkInfo net, string source, TensorLayout? layout = null, string? logits = null, Func<IReadOnlyList<string>, string, string?>? embedding = null)
    {
        ArgumentNullException.ThrowIfNull(net);
        if (net.Inputs.Count != 1 || net.Outputs.Count < 1)
        {
            throw new SophonModelException($"Network '{net.Name}' in '{source}' has {net.Inputs.Count} inputs and {net.Outputs.Count} outputs; an image classifier has one input, and the logits among its outputs.");
        }

        string[] names = [.. net.Outputs.Select(o => o.Name)];
        int outputIndex = logits is null ? 0 : Array.IndexOf(names, logits);
        if (outputIndex < 0)
        {
            throw new SophonModelException($"Network '{net.Name}' in '{source}' has no output named '{logits}'; its outputs are {string.Join(", ", names.Select(n => $"'{n}'"))}. Fix outputName in the model's manifest.");
        }

        string? embeddingName;
        try
        {
            embeddingName = embedding?.Invoke(names, names[outputIndex]);
        }
        catch (InvalidDataException ex)
        {
            throw new SophonModelException($"Network '{net.Name}' in '{source}': {ex.Message}", ex);
        }

        int embeddingIndex = embeddingName is null ? -1 : Array.IndexOf(names, embeddingName);

        if (net.IsDynamic)
        {
            throw new SophonModelException($"Network '{net.Name}' in '{source}' is dynamic; compile it with static shapes (one stage per batch size).");
        }

        IReadOnlyList<int> shape = net.Stages[0].InputShapes[0];
        if (shape.Count != 4 || net.Stages.Any(s => s.InputShapes[0].Count != 4 || s.InputShapes[0][1] != shape[1] || s.InputShapes[0][2] != shape[2] || s.InputShapes[0][3] != shape[3]))
        {
            throw new SophonModelException($"Network '{net.Name}' in '{source}' has input shape [{string.Join(", ", shape)}]; a 4-D image input (NCHW or NHWC) with the same channels, height and width in every stage is needed.");
        }

        int[] rowLengths = new int[names.Length];
        for (int o = 0; o < names.Length; o++)
        {
            int k = o;
            rowLengths[o] = Product(net.Stages[0].OutputShapes[k].Skip(1));
            if (net.Stages.Any(s => s.OutputShapes[k].Count < 1 || s.OutputShapes[k][0] != s.BatchSize || Product(s.OutputShapes[k].Skip(1)) != rowLengths[k]))
            {
                throw new SophonModelException($"Network '{net.Name}' in '{source}': the shapes of output '{names[o]}' disagree across stages; [N, values] is needed.");
            }
        }

        SophonTensorInfo input = net.Inputs[0];
        _ = OutputDecoder.Check(net.Outputs[outputIndex]);
        if (embeddingIndex >= 0)
        {
            _ = OutputDecoder.Check(net.Outputs[embeddingIndex]);
        }

        int inputSize = SophonNetworkInfo.ElementSize(input.DataType);
        long[] rowBytes = [.. net.Outputs.Select((o, i) => (long)rowLengths[i] * SophonNetworkInfo.ElementSize(o.DataType))];
        StagePlan[] stages = net.Stages
            .OrderBy(s => s.BatchSize)
            .Select(s =>
            {
                int[] dims = [.. s.InputShapes[0]];
                long inputBytes = dims.Aggregate(1L, (a, d) => a * d) * inputSize;
                long[] outputBytes = [.. rowBytes.Select((r, i) => Math.Max(net.MaxOutputBytes[i], s.BatchSize * r))];
                return new StagePlan(s.BatchSize, dims, inputBytes, outputBytes);
            })
            .ToArray();
        if (stages.Select(s => s.Batch).Distinct().Count() != stages.Length)
        {
            throw new SophonModelException($"Network '{net.Name}' in '{source}' has two stages of the same batch size; one stage per batch size is expected.");
        }

        EngineInput engineInput;
        try
        {
            engineInput = EngineInput.FromShape(input.Name, ToElementType(input.DataType, input.Name), shape, layout, input.Scale, input.ZeroPoint);
        }
        catch (ArgumentException ex)
        {
            throw new SophonModelException($"Network '{net.Name}' in '{source}': {ex.Message}", ex);
        }

        return new NetworkPlan(net, engineInput, outputIndex, rowLengths[outputIndex], embeddingIndex, embeddingIndex < 0 ? 0 : rowLengths[embeddingIndex], stages);
    }

    /// <summary>The stage of exactly <paramref name="count"/> images, else the smallest larger one (padded).</summary>
    public int ChooseStage(int count)
    {
        int larger = -1;
        for (int i = 0; i < Stages.Count; i++)
        {
            if (Stages[i].Batch == count)
            {
                return i;
            }

            if (Stages[i].Batch > count && larger < 0)
            {
                larger = i;
            }
        }

        return larger >= 0 ? larger : throw new ArgumentOutOfRangeException(nameof(count), $"No stage of network '{Network.Name}' runs {count} images.");
    }

    private static int Product(IEnumerable<int> dims) => dims.Aggregate(1, (a, d) => checked(a * d));

    private static TensorElementType ToElementType(SophonDataType type, string tensor) => type switch
    {
        SophonDataType.Float32 => TensorElementType.Float32,
        SophonDataType.Float16 => TensorElementType.Float16,
        SophonDataType.Int8 => TensorElementType.Int8,
        SophonDataType.UInt8 => TensorElementType.UInt8,
        _ => throw new SophonModelException($"Input '{tensor}' is {type}; the classifier feeds FLOAT32, FLOAT16, INT8 or UINT8 inputs."),
    };
}

/// <summary>One stage: its batch size, input dims and the byte sizes of its input tensor and output buffers.</summary>
/// <param name="Batch">Batch size.</param>
/// <param name="InputDims">Input tensor dims (N, C, H, W).</param>
/// <param name="InputBytes">Input tensor bytes.</param>
/// <param name="OutputBytes">Per output, its buffer's bytes (at least the runtime's max_output_bytes).</param>
internal sealed record StagePlan(int Batch, int[] InputDims, long InputBytes, IReadOnlyList<long> OutputBytes);
