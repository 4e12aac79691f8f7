using System.Diagnostics;
using System.Runtime.InteropServices;
using Microsoft.ML.OnnxRuntime;
using SimClrV2.Sophon.Infer;
using SimClrV2.Sophon.Models;
using OrtElementType = Microsoft.ML.OnnxRuntime.Tensors.TensorElementType;
using TensorElementType = SimClrV2.Sophon.Infer.TensorElementType;

namespace SimClrV2.Sophon.OnnxRuntime;

/// <summary>
/// The engine contract over ONNX Runtime on the CPU. Input/output names and shapes are read from the
/// model; each batch buffer is pinned memory allocated once with its ONNX Runtime tensors created
/// over it, so a run copies nothing and allocates nothing beyond ONNX Runtime's own work. Safe to
/// run from several threads (each with its own rented batch).
/// </summary>
internal sealed class OnnxRuntimeEngine : IInferenceEngine
{
    private readonly InferenceSession _session;
    private readonly RunOptions _runOptions;
    private readonly string[] _inputNames;
    private readonly string[] _outputNames;
    private readonly InferenceBatchPool<OnnxBatch> _pool;
    private readonly int[] _embeddingShape = [];
    private volatile bool _disposed;

    /// <summary>Loads the options' model (the default model when none is given) and reads its manifest for names and layout.</summary>
    /// <param name="options">The classifier's options: the model, names, layout, batch size, threads, session.</param>
    /// <exception cref="FileNotFoundException">The model file does not exist.</exception>
    /// <exception cref="InvalidDataException">The model cannot be loaded, or its input/output is not an image classifier's.</exception>
    public OnnxRuntimeEngine(OnnxClassifierOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        (string path, ReadOnlyMemory<byte> data, ModelManifest? manifest) = options.Resolve();
        Manifest = manifest;
        bool inMemory = !data.IsEmpty;
        ArgumentOutOfRangeException.ThrowIfLessThan(options.BatchSize, 1, nameof(options.BatchSize));
        ArgumentOutOfRangeException.ThrowIfNegative(options.IntraOpNumThreads, nameof(options.IntraOpNumThreads));
        if (options.IntraOpNumThreads > Environment.ProcessorCount)
        {
            throw new ArgumentOutOfRangeException(nameof(options), options.IntraOpNumThreads, $"IntraOpNumThreads is {options.IntraOpNumThreads} but this machine has {Environment.ProcessorCount} processors; more threads than processors only slow inference down. Use 0 (one per processor) or 1..{Environment.ProcessorCount}.");
        }
        if (!inMemory && Directory.Exists(path))
        {
            throw new FileNotFoundException($"Model '{path}' is a folder; pass the path of the .onnx file inside it.", path);
        }

        if (!inMemory && !File.Exists(path))
        {
            throw new FileNotFoundException($"Model '{path}' does not exist; pass the path of an .onnx file.", path);
        }

        ModelPath = path;
        _pool = new InferenceBatchPool<OnnxBatch>(() => new OnnxBatch(this), this);
        using var sessionOptions = new SessionOptions { IntraOpNumThreads = options.IntraOpNumThreads };

        // Between runs ONNX Runtime's threads spin waiting for work by default, taking the cores the
        // classifier's decode threads need (they work while a batch is in inference); they sleep instead.
        sessionOptions.AddSessionConfigEntry("session.intra_op.allow_spinning", options.AllowSpinning ? "1" : "0");
        options.ConfigureSession?.Invoke(sessionOptions);
        try
        {
            _session = inMemory ? new InferenceSession(AsArray(data), sessionOptions) : new InferenceSession(path, sessionOptions);
        }
        catch (OnnxRuntimeException ex)
        {
            throw new InvalidDataException($"'{ModelPath}' is not an ONNX model ONNX Runtime can load: {ex.Message}", ex);
        }

        try
        {
            (string inputName, NodeMetadata input) = Select(_session.InputMetadata, options.InputName ?? manifest?.InputName, "input");
            (string outputName, NodeMetadata output) = Select(_session.OutputMetadata, options.OutputName ?? manifest?.OutputName, "output");
            int[] inDims = input.Dimensions;
            if (!input.IsTensor)
            {
                throw Invalid($"input '{inputName}' is not a tensor");
            }

            try
            {
                // Checks the rank and the image dimensions before any of them is read.
                Input = EngineInput.FromShape(inputName, ToElementType(input.ElementDataType, inputName), inDims, options.Layout ?? manifest?.Layout);
            }
            catch (ArgumentException ex)
            {
                throw new InvalidDataException($"Model '{ModelPath}': {ex.Message}", ex);
            }

            int[] outDims = output.Dimensions;
            if (!output.IsTensor || outDims.Length != 2 || outDims[1] <= 0)
            {
                throw Invalid($"output '{outputName}' has shape [{string.Join(", ", outDims)}]; logits [N, classes] are needed");
            }

            if (output.ElementDataType != OrtElementType.Float)
            {
                throw Invalid($"output '{outputName}' is {output.ElementDataType}; float logits are needed");
            }

            if (options.EmbeddingFor(manifest, [.. _session.OutputMetadata.Keys], outputName) is { } embedding)
            {
                NodeMetadata e = _session.OutputMetadata[embedding];
                int[] eDims = e.Dimensions;
                if (!e.IsTensor || e.ElementDataType != OrtElementType.Float || eDims.Length < 2 || eDims.Skip(1).Any(d => d <= 0))
                {
                    throw Invalid($"embedding output '{embedding}' is {e.ElementDataType} [{string.Join(", ", eDims)}]; an embedding is float [N, D] (fixed D)");
                }

                EmbeddingName = embedding;
                _embeddingShape = eDims[1..];
                EmbeddingLength = checked(_embeddingShape.Aggregate(1, (a, d) => a * d));
            }

            IsBatchSizeFixed = inDims[0] > 0;
            MaxBatchSize = IsBatchSizeFixed ? inDims[0] : options.BatchSize;
            OutputLength = outDims[1];
            _inputNames = [inputName];
            _outputNames = EmbeddingName is null ? [outputName] : [outputName, EmbeddingName];
            _runOptions = new RunOptions();
        }
        catch
        {
            _session.Dispose();
            throw;
        }

        InvalidDataException Invalid(string message) => new($"Model '{ModelPath}': {message}.");
    }

    /// <summary>The bytes as an array for ONNX Runtime, without a copy when they are one whole array.</summary>
    private static byte[] AsArray(ReadOnlyMemory<byte> data) =>
        MemoryMarshal.TryGetArray(data, out ArraySegment<byte> segment) && segment.Offset == 0 && segment.Count == segment.Array!.Length ? segment.Array : data.ToArray();

    /// <summary>The model file, or the in-memory model's name.</summary>
    public string ModelPath { get; }

    /// <summary>The model's manifest (the options' <c>ManifestPath</c>, the in-memory model's, or the one beside the file), or null.</summary>
    public ModelManifest? Manifest { get; }

    /// <inheritdoc />
    public string Name => "onnxruntime";

    /// <inheritdoc />
    public EngineInput Input { get; }

    /// <inheritdoc />
    public int OutputLength { get; }

    /// <inheritdoc />
    public int MaxBatchSize { get; }

    /// <inheritdoc />
    public bool IsBatchSizeFixed { get; }

    /// <summary>The output tensor's name.</summary>
    public string OutputName => _outputNames[0];

    /// <inheritdoc />
    public string? EmbeddingName { get; }

    /// <inheritdoc />
    public int EmbeddingLength { get; }

    /// <inheritdoc />
    public InferenceBatch RentBatch() => _pool.Rent();

    /// <inheritdoc />
    public void ReturnBatch(InferenceBatch batch) => _pool.Return(Own(batch));

    /// <summary>Runs the network on the first <paramref name="count"/> images of the batch, on the calling thread (and ONNX Runtime's own).</summary>
    /// <param name="batch">A rented batch whose first <paramref name="count"/> image slots were filled.</param>
    /// <param name="count">1..<see cref="InferenceBatch.Capacity"/>.</param>
    public void Run(InferenceBatch batch, int count)
    {
        OnnxBatch onnx = Own(batch);
        ArgumentOutOfRangeException.ThrowIfLessThan(count, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(count, batch.Capacity);
        ObjectDisposedException.ThrowIf(_disposed, this);

        // A fixed-batch model always runs whole batches; rows past count are padding.
        OrtValue[][] tensors = onnx.Tensors(IsBatchSizeFixed ? batch.Capacity : count);
        long start = Stopwatch.GetTimestamp();
        _session.Run(_runOptions, _inputNames, tensors[0], _outputNames, tensors[1]);
        batch.ComputeMs = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
    }

    /// <inheritdoc />
    /// <remarks>Computes on the calling thread and returns a completed task.</remarks>
    public ValueTask RunAsync(InferenceBatch batch, int count, CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        Run(batch, count);
        return ValueTask.CompletedTask;
    }

    /// <summary>
    /// Releases the session and every batch buffer; later runs throw <see cref="ObjectDisposedException"/>.
    /// The classifier that owns the engine calls it only when no run is in flight.
    /// </summary>
    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        _pool.Dispose();
        _runOptions.Dispose();
        _session.Dispose();
    }

    private OnnxBatch Own(InferenceBatch batch) =>
        batch is OnnxBatch onnx && ReferenceEquals(onnx.Owner, this) ? onnx : throw new ArgumentException("The batch was not rented from this engine.", nameof(batch));

    private static (string Name, NodeMetadata Metadata) Select(IReadOnlyDictionary<string, NodeMetadata> nodes, string? wanted, string kind)
    {
        if (wanted is null)
        {
            return nodes.Count > 0
                ? (nodes.First().Key, nodes.First().Value)
                : throw new InvalidDataException($"The model has no {kind}.");
        }

        return nodes.TryGetValue(wanted, out NodeMetadata? metadata)
            ? (wanted, metadata)
            : throw new InvalidDataException($"The model has no {kind} named '{wanted}'; its {kind}s are: {string.Join(", ", nodes.Keys.Select(k => $"'{k}'"))}. Fix the {kind} name in the options or the model's manifest.");
    }

    private static TensorElementType ToElementType(OrtElementType type, string name) => type switch
    {
        OrtElementType.Float => TensorElementType.Float32,
        OrtElementType.Float16 => TensorElementType.Float16,
        OrtElementType.Int8 => TensorElementType.Int8,
        OrtElementType.UInt8 => TensorElementType.UInt8,
        _ => throw new InvalidDataException($"Input '{name}' is {type}; float, float16, int8 or uint8 inputs are supported."),
    };

    private static OrtElementType ToOrt(TensorElementType type) => type switch
    {
        TensorElementType.Float32 => OrtElementType.Float,
        TensorElementType.Float16 => OrtElementType.Float16,
        TensorElementType.Int8 => OrtElementType.Int8,
        _ => OrtElementType.UInt8,
    };

    /// <summary>Pinned input and output memory with ONNX Runtime tensors over it, one pair per batch size used.</summary>
    private sealed class OnnxBatch : InferenceBatch, IDisposable
    {
        private readonly byte[] _input;
        private readonly float[] _output;
        private readonly float[] _embeddings;
        private readonly OrtValue[][]?[] _tensors;

        public OnnxBatch(OnnxRuntimeEngine owner)
            : base(owner.Input, owner.MaxBatchSize, owner.OutputLength)
        {
            Owner = owner;
            _input = GC.AllocateArray<byte>(Capacity * Input.BytesPerImage, pinned: true);
            _output = GC.AllocateArray<float>(Capacity * OutputLength, pinned: true);
            _embeddings = GC.AllocateArray<float>(Capacity * owner.EmbeddingLength, pinned: true);
            _tensors = new OrtValue[][]?[Capacity + 1];
        }

        public OnnxRuntimeEngine Owner { get; }

        public override Span<byte> InputBytes => _input;

        public override Span<float> Outputs => _output;

        public override Span<float> Embeddings => _embeddings;

        /// <summary>The input and output tensor lists for a batch of count images, created once (no per-run allocation).</summary>
        public OrtValue[][] Tensors(int count) => _tensors[count] ??= Create(count);

        public void Dispose()
        {
            foreach (OrtValue[][]? pair in _tensors)
            {
                foreach (OrtValue value in pair?.SelectMany(v => v) ?? [])
                {
                    value.Dispose();
                }
            }
        }

        private OrtValue[][] Create(int count)
        {
            EngineInput i = Input;
            IntPtr inputPointer = Marshal.UnsafeAddrOfPinnedArrayElement(_input, 0);
            IntPtr outputPointer = Marshal.UnsafeAddrOfPinnedArrayElement(_output, 0);
            OrtValue input = OrtValue.CreateTensorValueWithData(
                OrtMemoryInfo.DefaultInstance, ToOrt(i.ElementType), i.Layout == TensorLayout.Nhwc ? [count, i.Height, i.Width, i.Channels] : [count, i.Channels, i.Height, i.Width], inputPointer, (long)count * i.BytesPerImage);
            OrtValue output = OrtValue.CreateTensorValueWithData(
                OrtMemoryInfo.DefaultInstance, OrtElementType.Float, [count, OutputLength], outputPointer, (long)count * OutputLength * sizeof(float));
            if (Owner.EmbeddingName is null)
            {
                return [[input], [output]];
            }

            // The embedding output is fetched by the same run, into its own pinned rows.
            int length = Owner.EmbeddingLength;
            OrtValue embedding = OrtValue.CreateTensorValueWithData(
                OrtMemoryInfo.DefaultInstance, OrtElementType.Float, [count, .. Owner._embeddingShape.Select(d => (long)d)], Marshal.UnsafeAddrOfPinnedArrayElement(_embeddings, 0), (long)count * length * sizeof(float));
            return [[input], [output, embedding]];
        }
    }
}
