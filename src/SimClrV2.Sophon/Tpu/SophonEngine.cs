using System.Collections.Concurrent;
using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Text;
using SimClrV2.Sophon.Infer;
using SimClrV2.Sophon.Tpu.Interop;

namespace SimClrV2.Sophon.Tpu;

/// <summary>
/// The engine contract on SOPHON TPUs. Per device: one dedicated OS thread (launch and
/// <c>bm_thread_sync</c> on the same thread), one runtime, device buffers preallocated per stage.
/// A batch runs on the stage of its size, or padded on the smallest larger stage (padding rows
/// never reach results); only the bytes needed are copied. Inputs are written by the preprocessor
/// in the network's dtype (FP32, FP16, INT8/UINT8 with the network's input scale); outputs are
/// converted back to float (<c>q * scale</c>, half to float). Several devices run batches in parallel.
/// </summary>
public sealed class SophonEngine : IInferenceEngine
{
    private readonly DeviceRunner[] _runners;
    private readonly InferenceBatchPool<SophonBatch> _pool;
    private readonly RunGate _gate;
    private readonly ConcurrentQueue<BatchRun> _runs = new();
    private readonly bool _deviceInput;
    private int _next;

    /// <summary>Loads the bmodel on each device, each on its own worker thread.</summary>
    /// <param name="options">Model, devices, network.</param>
    /// <exception cref="FileNotFoundException">The bmodel does not exist.</exception>
    /// <exception cref="SophonLibraryNotFoundException">libsophon is not installed.</exception>
    /// <exception cref="SophonException">A device, the runtime or the model failed.</exception>
    /// <exception cref="SophonModelException">The network is not an image classifier this engine runs.</exception>
    public SophonEngine(SophonEngineOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentException.ThrowIfNullOrEmpty(options.ModelPath, nameof(options.ModelPath));
        if (options.DeviceIds is null || options.DeviceIds.Count == 0 || options.DeviceIds.Distinct().Count() != options.DeviceIds.Count || options.DeviceIds.Any(d => d < 0))
        {
            throw new ArgumentException("DeviceIds must list one or more distinct device ids (>= 0).", nameof(options));
        }

        if (Directory.Exists(options.ModelPath))
        {
            throw new FileNotFoundException($"bmodel '{options.ModelPath}' is a folder; pass the path of the .bmodel file inside it.", options.ModelPath);
        }

        if (!File.Exists(options.ModelPath))
        {
            throw new FileNotFoundException($"bmodel '{options.ModelPath}' does not exist.", options.ModelPath);
        }

        if (options.Library is not null)
        {
            SophonLibrary.Configure(options.Library);
        }

        ModelPath = options.ModelPath;
        _deviceInput = options.DeviceInput;
        var runners = new List<DeviceRunner>();
        try
        {
            foreach (int id in options.DeviceIds)
            {
                runners.Add(new DeviceRunner(options.ModelPath, id, options.NetworkName));
            }
        }
        catch
        {
            foreach (DeviceRunner r in runners)
            {
                r.Dispose();
            }

            throw;
        }

        _runners = [.. runners];
        _pool = new InferenceBatchPool<SophonBatch>(
            () => new SophonBatch(this, _deviceInput ? _runners[(int)((uint)Interlocked.Increment(ref _next) % (uint)_runners.Length)] : null),
            this);
        _gate = new RunGate(this);
        DeviceRunner first = _runners[0];
        Network = first.Network;
        Input = first.Input;
        OutputLength = first.OutputLength;
        MaxBatchSize = first.Stages[^1].Batch;
        IsBatchSizeFixed = Enumerable.Range(1, MaxBatchSize).Any(b => first.Stages.All(s => s.Batch != b));
    }

    /// <summary>The bmodel file.</summary>
    public string ModelPath { get; }

    /// <summary>The network that runs.</summary>
    public SophonNetworkInfo Network { get; }

    /// <inheritdoc />
    public string Name => "sophon";

    /// <inheritdoc />
    public EngineInput Input { get; }

    /// <inheritdoc />
    public int OutputLength { get; }

    /// <inheritdoc />
    public int MaxBatchSize { get; }

    /// <inheritdoc />
    public bool IsBatchSizeFixed { get; }

    /// <inheritdoc />
    public int MaxConcurrentBatches => _runners.Length;

    /// <summary>The managed thread ids of the device workers (one per device).</summary>
    public IReadOnlyList<int> WorkerThreadIds => _runners.Select(r => r.Worker.ManagedThreadId).ToArray();

    /// <inheritdoc />
    public InferenceBatch RentBatch() => _pool.Rent();

    /// <inheritdoc />
    public void ReturnBatch(InferenceBatch batch) => _pool.Return(Own(batch));

    /// <inheritdoc />
    public void Run(InferenceBatch batch, int count)
    {
        SophonBatch own = Own(batch);
        ArgumentOutOfRangeException.ThrowIfLessThan(count, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(count, batch.Capacity);
        _gate.Enter();
        BatchRun item = _runs.TryDequeue(out BatchRun? pooled) ? pooled : new BatchRun();
        try
        {
            DeviceRunner runner = own.Runner ?? Pick();
            item.Set(runner, own, count);
            runner.Worker.Run(item);
        }
        finally
        {
            item.Set(null, null, 0);
            _runs.Enqueue(item);
            _gate.Exit();
        }
    }

    /// <summary>
    /// Waits for runs in flight to end, then frees, per device in the vendor's order, the batches'
    /// device memory, the stage buffers, the runtime and the device (runs started later throw
    /// <see cref="ObjectDisposedException"/>).
    /// </summary>
    public void Dispose()
    {
        if (!_gate.Close())
        {
            return;
        }

        _pool.Dispose();

        foreach (DeviceRunner runner in _runners)
        {
            runner.Dispose();
        }

        foreach (BatchRun run in _runs)
        {
            run.Dispose();
        }
    }

    /// <summary>
    /// Runs a batch on the calling thread (launch and sync both on it) instead of the device's
    /// worker: the benchmarks use it to separate the thread hand-off from the rest of a launch.
    /// </summary>
    internal void RunOnCallingThread(InferenceBatch batch, int count)
    {
        SophonBatch own = Own(batch);
        (own.Runner ?? _runners[0]).Run(own, count);
    }

    /// <summary>The device and device input memory of a batch rented in <see cref="SophonEngineOptions.DeviceInput"/> mode.</summary>
    internal (SophonDeviceHandle Device, DeviceMemoryHandle Memory) DeviceSlotTarget(InferenceBatch batch)
    {
        SophonBatch own = Own(batch);
        return own.Runner is not null && own.DeviceInput is not null
            ? (own.Runner.Device, own.DeviceInput)
            : throw new InvalidOperationException("The engine was not created with DeviceInput = true; device preprocessing needs batches with device input memory.");
    }

    /// <summary>Copies a device-input batch's input tensor back to the host (tests compare it with CPU preprocessing).</summary>
    internal unsafe void CopyDeviceInput(InferenceBatch batch, Span<byte> destination)
    {
        (SophonDeviceHandle device, DeviceMemoryHandle memory) = DeviceSlotTarget(batch);
        int length = Math.Min(destination.Length, (int)memory.Size);
        fixed (byte* p = destination)
        {
            int status = SophonNative.bm_memcpy_d2s_partial(device.DangerousGetHandle(), p, memory.Memory, (uint)length);
            if (status != 0)
            {
                throw new SophonException("bm_memcpy_d2s_partial", status, "copying a batch's device input back.");
            }
        }
    }

    private SophonBatch Own(InferenceBatch batch) =>
        batch is SophonBatch s && ReferenceEquals(s.Owner, this) ? s : throw new ArgumentException("The batch was not rented from this engine.", nameof(batch));

    private DeviceRunner Pick()
    {
        DeviceRunner best = _runners[(int)((uint)Interlocked.Increment(ref _next) % (uint)_runners.Length)];
        foreach (DeviceRunner r in _runners)
        {
            best = r.Worker.Pending < best.Worker.Pending ? r : best;
        }

        return best;
    }

    internal static TensorElementType ToElementType(SophonDataType type, string tensor) => type switch
    {
        SophonDataType.Float32 => TensorElementType.Float32,
        SophonDataType.Float16 => TensorElementType.Float16,
        SophonDataType.Int8 => TensorElementType.Int8,
        SophonDataType.UInt8 => TensorElementType.UInt8,
        _ => throw new SophonModelException($"Input '{tensor}' is {type}; the classifier feeds FLOAT32, FLOAT16, INT8 or UINT8 inputs."),
    };

    /// <summary>A pooled hand-off of one batch to a device's worker thread (no allocation per run).</summary>
    private sealed class BatchRun : SophonWorker.WorkItem
    {
        private DeviceRunner? _runner;
        private SophonBatch? _batch;
        private int _count;

        public void Set(DeviceRunner? runner, SophonBatch? batch, int count)
        {
            _runner = runner;
            _batch = batch;
            _count = count;
        }

        public override void Execute() => _runner!.Run(_batch!, _count);
    }

    /// <summary>Host buffers of a batch: the input tensor in the network's dtype, the raw output and the float output.</summary>
    private sealed class SophonBatch : InferenceBatch, IDisposable
    {
        private readonly byte[] _input;
        private readonly float[] _outputs;

        public SophonBatch(SophonEngine owner, DeviceRunner? runner)
            : base(owner.Input, owner.MaxBatchSize, owner.OutputLength)
        {
            Owner = owner;
            Runner = runner;
            DeviceInput = runner?.Worker.Invoke(() => DeviceMemoryHandle.Allocate(runner.Runtime, (long)Capacity * Input.BytesPerImage));
            _input = GC.AllocateArray<byte>(Capacity * Input.BytesPerImage, pinned: true);
            _outputs = new float[Capacity * OutputLength];
            RawOutput = GC.AllocateArray<byte>(Capacity * OutputLength * SophonNetworkInfo.ElementSize(owner.Network.Outputs[0].DataType), pinned: true);
        }

        public SophonEngine Owner { get; }

        /// <summary>The device a device-input batch belongs to (null: any device).</summary>
        public DeviceRunner? Runner { get; }

        /// <summary>The input tensor on the device (device-input mode), else null.</summary>
        public DeviceMemoryHandle? DeviceInput { get; }

        public byte[] RawOutput { get; }

        public override Span<byte> InputBytes => _input;

        public override Span<float> Outputs => _outputs;

        public byte[] InputArray => _input;

        public void Dispose() => DeviceInput?.Dispose();
    }

    /// <summary>One stage's shapes and device buffers.</summary>
    private sealed record StageBuffers(int Batch, BmShape InputShape, DeviceMemoryHandle InputMemory, DeviceMemoryHandle OutputMemory, long InputBytes, long OutputRowBytes);

    /// <summary>Everything of one device; every method runs on its worker thread.</summary>
    private sealed class DeviceRunner : IDisposable
    {
        private readonly SophonModel _model;
        private readonly byte[] _netName;

        public DeviceRunner(string path, int deviceId, string? networkName)
        {
            Worker = new SophonWorker($"sophon-dev{deviceId}");
            try
            {
                _model = Worker.Invoke(() => SophonModel.Load(path, deviceId));
                Network = _model.GetNetwork(networkName);
                _netName = Encoding.UTF8.GetBytes(Network.Name + "\0");
                (Input, OutputLength) = Describe(Network, path);
                Stages = Worker.Invoke(AllocateStages);
            }
            catch
            {
                Worker.Invoke(() =>
                {
                    _model?.Dispose();
                    return 0;
                });
                Worker.Dispose();
                throw;
            }
        }

        public SophonWorker Worker { get; }

        public SophonNetworkInfo Network { get; }

        public EngineInput Input { get; }

        public int OutputLength { get; }

        public StageBuffers[] Stages { get; private set; } = [];

        public SophonDeviceHandle Device => _model.Device;

        public SophonRuntimeHandle Runtime => _model.Runtime;

        public unsafe int Run(SophonBatch batch, int count)
        {
            StageBuffers stage = ChooseStage(count);
            IntPtr device = _model.Device.DangerousGetHandle();

            // Validated in C# before every call that could throw inside the vendor library:
            // sizes are computed here, the buffers were allocated from them, dtype and shape come
            // from the network's own info (dims 0..8 checked when it was read).
            if (stage.InputBytes > stage.InputMemory.Size || stage.InputBytes > batch.InputArray.Length)
            {
                throw new SophonException($"Internal error: stage of batch {stage.Batch} needs {stage.InputBytes} input bytes.");
            }

            BmDeviceMem inputMemory = stage.InputMemory.Memory;
            if (batch.DeviceInput is not null)
            {
                inputMemory = batch.DeviceInput.Memory; // filled on the device by the preprocessor: no host copy
            }
            else
            {
                fixed (byte* input = batch.InputArray)
                {
                    Check("bm_memcpy_s2d_partial", SophonNative.bm_memcpy_s2d_partial(device, inputMemory, input, (uint)stage.InputBytes));
                }
            }

            BmTensor inputTensor = new() { DType = (int)Network.Inputs[0].DataType, Shape = stage.InputShape, DeviceMem = inputMemory };
            BmTensor outputTensor = new() { DType = (int)Network.Outputs[0].DataType, DeviceMem = stage.OutputMemory.Memory };
            long launched = Stopwatch.GetTimestamp();
            fixed (byte* net = _netName)
            {
                if (SophonNative.bmrt_launch_tensor_ex(_model.Runtime.DangerousGetHandle(), net, &inputTensor, 1, &outputTensor, 1, 1, 0) == 0)
                {
                    throw new SophonException("bmrt_launch_tensor_ex", -1, $"network '{Network.Name}' did not launch on device {_model.DeviceId} (batch {stage.Batch}); the runtime printed why on stdout ([BMRT] lines).");
                }
            }

            int synced = SophonNative.bm_thread_sync(device);
            if (synced != 0)
            {
                // The launch may still be queued: drain everything sent through the handle before
                // these buffers are reused or freed, then report the failure for this batch.
                _ = SophonNative.bm_handle_sync(device);
                Check("bm_thread_sync", synced);
            }

            batch.ComputeMs = Stopwatch.GetElapsedTime(launched).TotalMilliseconds;
            uint outBytes = (uint)(count * stage.OutputRowBytes);
            fixed (byte* raw = batch.RawOutput)
            {
                Check("bm_memcpy_d2s_partial", SophonNative.bm_memcpy_d2s_partial(device, raw, stage.OutputMemory.Memory, outBytes));
            }

            Dequantize(batch.RawOutput.AsSpan(0, (int)outBytes), Network.Outputs[0], batch.Outputs[..(count * OutputLength)]);
            return count;
        }

        /// <summary>The stage of exactly <paramref name="count"/> images, else the smallest larger one (padded).</summary>
        private StageBuffers ChooseStage(int count)
        {
            StageBuffers? larger = null;
            foreach (StageBuffers s in Stages)
            {
                if (s.Batch == count)
                {
                    return s;
                }

                if (s.Batch > count && (larger is null || s.Batch < larger.Batch))
                {
                    larger = s;
                }
            }

            return larger ?? throw new ArgumentOutOfRangeException(nameof(count), $"No stage runs {count} images.");
        }

        public void Dispose()
        {
            Worker.Invoke(() =>
            {
                // Nothing may still run on the device when its memory is freed (a failed sync can
                // leave a launch queued): wait for all work of the handle first.
                _ = SophonNative.bm_handle_sync(_model.Device.DangerousGetHandle());
                foreach (StageBuffers s in Stages)
                {
                    s.InputMemory.Dispose();
                    s.OutputMemory.Dispose();
                }

                _model.Dispose();
                return 0;
            });
            Worker.Dispose();
        }

        private StageBuffers[] AllocateStages()
        {
            var stages = new List<StageBuffers>();
            try
            {
                foreach (SophonStage stage in Network.Stages.OrderBy(s => s.BatchSize))
                {
                    int[] dims = [.. stage.InputShapes[0]];
                    long inputBytes = (long)dims.Aggregate(1L, (a, d) => a * d) * SophonNetworkInfo.ElementSize(Network.Inputs[0].DataType);
                    long outputRowBytes = (long)OutputLength * SophonNetworkInfo.ElementSize(Network.Outputs[0].DataType);
                    long outputBytes = Math.Max(Network.MaxOutputBytes[0], stage.BatchSize * outputRowBytes);
                    DeviceMemoryHandle input = DeviceMemoryHandle.Allocate(_model.Runtime, inputBytes);
                    DeviceMemoryHandle output;
                    try
                    {
                        output = DeviceMemoryHandle.Allocate(_model.Runtime, outputBytes);
                    }
                    catch
                    {
                        input.Dispose();
                        throw;
                    }

                    stages.Add(new StageBuffers(stage.BatchSize, BmShape.From(dims), input, output, inputBytes, outputRowBytes));
                }
            }
            catch
            {
                foreach (StageBuffers s in stages)
                {
                    s.InputMemory.Dispose();
                    s.OutputMemory.Dispose();
                }

                throw;
            }

            return [.. stages];
        }

        private static (EngineInput Input, int OutputLength) Describe(SophonNetworkInfo net, string path)
        {
            if (net.Inputs.Count != 1 || net.Outputs.Count != 1)
            {
                throw new SophonModelException($"Network '{net.Name}' in '{path}' has {net.Inputs.Count} inputs and {net.Outputs.Count} outputs; an image classifier has one of each.");
            }

            if (net.IsDynamic)
            {
                throw new SophonModelException($"Network '{net.Name}' in '{path}' is dynamic; compile it with static shapes (one stage per batch size).");
            }

            SophonStage first = net.Stages[0];
            IReadOnlyList<int> shape = first.InputShapes[0];
            if (shape.Count != 4 || net.Stages.Any(s => s.InputShapes[0].Count != 4 || s.InputShapes[0][1] != shape[1] || s.InputShapes[0][2] != shape[2] || s.InputShapes[0][3] != shape[3]))
            {
                throw new SophonModelException($"Network '{net.Name}' in '{path}' has input shape [{string.Join(", ", shape)}]; an NCHW image input with the same C, H, W in every stage is needed.");
            }

            int outputLength = first.OutputShapes[0].Skip(1).Aggregate(1, (a, d) => a * d);
            if (net.Stages.Any(s => s.OutputShapes[0][0] != s.BatchSize || s.OutputShapes[0].Skip(1).Aggregate(1, (a, d) => a * d) != outputLength))
            {
                throw new SophonModelException($"Network '{net.Name}' in '{path}': output shapes disagree across stages; [N, classes] is needed.");
            }

            SophonTensorInfo input = net.Inputs[0];
            return (new EngineInput(input.Name, ToElementType(input.DataType, input.Name), shape[1], shape[2], shape[3], input.Scale), outputLength);
        }

        private static void Dequantize(ReadOnlySpan<byte> raw, SophonTensorInfo output, Span<float> destination)
        {
            switch (output.DataType)
            {
                case SophonDataType.Float32:
                    MemoryMarshal.Cast<byte, float>(raw).CopyTo(destination);
                    break;
                case SophonDataType.Float16:
                    ReadOnlySpan<Half> halves = MemoryMarshal.Cast<byte, Half>(raw);
                    for (int i = 0; i < halves.Length; i++)
                    {
                        destination[i] = (float)halves[i];
                    }

                    break;
                case SophonDataType.Int8:
                    ReadOnlySpan<sbyte> q = MemoryMarshal.Cast<byte, sbyte>(raw);
                    for (int i = 0; i < q.Length; i++)
                    {
                        destination[i] = q[i] * output.Scale;
                    }

                    break;
                case SophonDataType.UInt8:
                    for (int i = 0; i < raw.Length; i++)
                    {
                        destination[i] = raw[i] * output.Scale;
                    }

                    break;
                default:
                    throw new SophonModelException($"Output '{output.Name}' is {output.DataType}; FLOAT32, FLOAT16, INT8 or UINT8 outputs are supported.");
            }
        }

        private void Check(string function, int status)
        {
            if (status != 0)
            {
                throw new SophonException(function, status, $"on device {_model.DeviceId} for network '{Network.Name}'; check the device (bm-smi) and its memory.");
            }
        }
    }
}
