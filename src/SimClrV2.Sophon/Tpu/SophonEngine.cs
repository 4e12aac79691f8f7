using System.Collections.Concurrent;
using System.Runtime.ExceptionServices;
using System.Threading.Tasks.Sources;
using SimClrV2.Sophon.Infer;
using SimClrV2.Sophon.Models;
using SimClrV2.Sophon.Postprocess;
using SimClrV2.Sophon.Pipeline;
using SimClrV2.Sophon.Tpu.Interop;

namespace SimClrV2.Sophon.Tpu;

/// <summary>
/// The engine contract on SOPHON TPUs. Per device (<see cref="SophonDevice"/>): one dedicated OS
/// thread (launch and <c>bm_thread_sync</c> on the same thread), one runtime, device buffers
/// preallocated per stage of the network's plan (<see cref="NetworkPlan"/>). A batch runs on the
/// stage of its size, or padded on the smallest larger stage (padding rows never reach results);
/// only the bytes needed are copied. Inputs are written by the preprocessor in the network's dtype
/// (FP32, FP16, INT8/UINT8 with the input's scale and zero point); outputs are decoded back to
/// float. Several devices run batches in parallel.
/// </summary>
internal sealed class SophonEngine : IInferenceEngine
{
    private readonly SophonDevice[] _devices;
    private readonly InferenceBatchPool<SophonBatch> _pool;
    private readonly RunGate _gate;
    private readonly ConcurrentQueue<BatchRun> _runs = new();
    private readonly NetworkPlan _plan;
    private int _next;

    /// <summary>Loads the options' bmodel on each device, each on its own worker thread, and reads its manifest for the layout.</summary>
    /// <param name="options">The classifier's options: the model, devices, network, layout, libsophon, and whether preprocessing runs on the device.</param>
    /// <exception cref="FileNotFoundException">The bmodel does not exist.</exception>
    /// <exception cref="SophonLibraryNotFoundException">libsophon is not installed.</exception>
    /// <exception cref="SophonException">A device, the runtime or the model failed.</exception>
    /// <exception cref="SophonModelException">The bmodel is damaged, or its network is not an image classifier this engine runs.</exception>
    public SophonEngine(SophonClassifierOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        ResolvedModel model = options.Resolve(defaultModel: false);
        Manifest = model.Manifest;
        string path = model.Name;
        ReadOnlyMemory<byte> data = model.InMemory?.Data ?? default;
        IReadOnlyList<int> deviceIds = options.DeviceIds ?? [0];
        bool inMemory = !data.IsEmpty;
        if (DeviceIdRule.Problem(deviceIds) is { } ids)
        {
            throw new ArgumentException($"DeviceIds {ids}.", nameof(options));
        }

        if (!inMemory && Directory.Exists(path))
        {
            throw new FileNotFoundException($"bmodel '{path}' is a folder; pass the path of the .bmodel file inside it.", path);
        }

        if (!inMemory && !File.Exists(path))
        {
            throw new FileNotFoundException($"bmodel '{path}' does not exist.", path);
        }

        if (options.Library is not null)
        {
            SophonLibrary.Configure(options.Library);
        }

        ModelPath = path;
        var devices = new List<SophonDevice>();
        try
        {
            foreach (int id in deviceIds)
            {
                devices.Add(new SophonDevice(
                    ModelPath,
                    data,
                    id,
                    options.NetworkName,
                    options.Layout ?? Manifest?.Layout,
                    Manifest?.OutputName,
                    (outputs, logits) => EmbeddingRule.Choose(options.Embedding ?? options.KnnHead?.EmbeddingName, Manifest, outputs, logits)));
            }
        }
        catch
        {
            foreach (SophonDevice d in devices)
            {
                d.Dispose();
            }

            throw;
        }

        _devices = [.. devices];
        _plan = _devices[0].Plan;
        bool deviceInput = options.Preprocess != PreprocessBackend.Cpu;
        _pool = new InferenceBatchPool<SophonBatch>(
            () => new SophonBatch(this, _plan, deviceInput ? _devices[(int)((uint)Interlocked.Increment(ref _next) % (uint)_devices.Length)] : null),
            this);
        _gate = new RunGate(this);
    }

    /// <summary>The bmodel file, or the in-memory model's name.</summary>
    public string ModelPath { get; }

    /// <summary>The model's manifest, or null.</summary>
    public ModelManifest? Manifest { get; }

    /// <summary>The network that runs.</summary>
    public SophonNetworkInfo Network => _plan.Network;

    /// <inheritdoc />
    public string Name => "sophon";

    /// <inheritdoc />
    public EngineInput Input => _plan.Input;

    /// <inheritdoc />
    public int OutputLength => _plan.OutputLength;

    /// <inheritdoc />
    public int MaxBatchSize => _plan.MaxBatchSize;

    /// <inheritdoc />
    public bool IsBatchSizeFixed => _plan.IsBatchSizeFixed;

    /// <inheritdoc />
    public int MaxConcurrentBatches => _devices.Length;

    /// <inheritdoc />
    public string? EmbeddingName => _plan.EmbeddingTensor?.Name;

    /// <inheritdoc />
    public int EmbeddingLength => _plan.EmbeddingLength;

    /// <summary>The chip of the first device (<c>bm_get_chipid</c>; 0 when unknown).</summary>
    internal uint ChipId => _devices[0].ChipId;

    /// <summary>The managed thread ids of the device workers (one per device), for tests of thread affinity.</summary>
    internal IReadOnlyList<int> WorkerThreadIds => _devices.Select(d => d.Worker.ManagedThreadId).ToArray();

    /// <inheritdoc />
    public InferenceBatch RentBatch() => _pool.Rent();

    /// <inheritdoc />
    public void ReturnBatch(InferenceBatch batch) => _pool.Return(Own(batch));

    /// <summary>Runs the network on the first <paramref name="count"/> images of the batch and waits on the caller's thread for the device's worker (no allocation: the hand-off item is pooled).</summary>
    /// <param name="batch">A rented batch whose first <paramref name="count"/> image slots were filled.</param>
    /// <param name="count">1..<see cref="InferenceBatch.Capacity"/>.</param>
    public void Run(InferenceBatch batch, int count) => Queue(batch, count, synchronous: true, CancellationToken.None).Wait();

    /// <summary>
    /// Queues the batch on a device's worker thread (its own device for device-input batches, else
    /// the least busy one); the worker completes the returned task when the device is done, and
    /// continuations run on the thread pool, never on the worker. Once queued, a batch runs to the
    /// end (the device cannot be interrupted); <paramref name="cancellationToken"/> only stops one
    /// not yet queued.
    /// </summary>
    /// <param name="batch">A rented batch whose first <paramref name="count"/> slots were filled.</param>
    /// <param name="count">1..<see cref="InferenceBatch.Capacity"/>.</param>
    /// <param name="cancellationToken">Stops a batch not yet queued.</param>
    /// <returns>Completes when the device has run the batch and its outputs are filled.</returns>
    public ValueTask RunAsync(InferenceBatch batch, int count, CancellationToken cancellationToken = default)
    {
        BatchRun item = Queue(batch, count, synchronous: false, cancellationToken);
        return new ValueTask(item, item.Version);
    }

    /// <summary>Validates, takes a pooled hand-off item and posts it to a device's worker.</summary>
    private BatchRun Queue(InferenceBatch batch, int count, bool synchronous, CancellationToken cancellationToken)
    {
        SophonBatch own = Own(batch);
        ArgumentOutOfRangeException.ThrowIfLessThan(count, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(count, batch.Capacity);
        cancellationToken.ThrowIfCancellationRequested();
        _gate.Enter();
        BatchRun item = _runs.TryDequeue(out BatchRun? pooled) ? pooled : new BatchRun(this);
        try
        {
            SophonDevice device = own.Device ?? Pick();
            item.Start(device, own, count, synchronous);
            device.Worker.Post(item);
            return item;
        }
        catch
        {
            item.Abandon();
            _gate.Exit();
            throw;
        }
    }

    /// <summary>
    /// Waits for runs in flight to end and drains every device (nothing queued on a device may
    /// still use memory about to be freed); then frees the batches' device memory, and per device,
    /// in the vendor's order, the stage buffers, the runtime and the device. Runs started later
    /// throw <see cref="ObjectDisposedException"/>.
    /// </summary>
    public void Dispose()
    {
        if (!_gate.Close())
        {
            return;
        }

        foreach (SophonDevice device in _devices)
        {
            device.Drain();
        }

        _pool.Dispose();
        foreach (SophonDevice device in _devices)
        {
            device.Dispose();
        }

        while (_runs.TryDequeue(out BatchRun? run))
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
        _gate.Enter();
        try
        {
            (own.Device ?? _devices[0]).Run(own, count);
        }
        finally
        {
            _gate.Exit();
        }
    }

    /// <summary>The device input memory of a batch rented in <see cref="SophonClassifierOptions.Preprocess"/> on the device mode (its device: <see cref="DeviceMemoryHandle.Device"/>).</summary>
    internal DeviceMemoryHandle DeviceSlotTarget(InferenceBatch batch)
    {
        SophonBatch own = Own(batch);
        return own.DeviceInput ?? throw new InvalidOperationException("The engine was created with Preprocess = Cpu; device preprocessing (Bmcv, DeviceJpeg) needs batches with device input memory.");
    }

    /// <summary>Copies a device-input batch's input tensor back to the host (tests compare it with CPU preprocessing).</summary>
    internal void CopyDeviceInput(InferenceBatch batch, Span<byte> destination)
    {
        DeviceMemoryHandle memory = DeviceSlotTarget(batch);
        memory.CopyToHost(destination[..Math.Min(destination.Length, (int)memory.Size)]);
    }

    private SophonBatch Own(InferenceBatch batch) =>
        batch is SophonBatch s && ReferenceEquals(s.Owner, this) ? s : throw new ArgumentException("The batch was not rented from this engine.", nameof(batch));

    private SophonDevice Pick()
    {
        SophonDevice best = _devices[(int)((uint)Interlocked.Increment(ref _next) % (uint)_devices.Length)];
        foreach (SophonDevice d in _devices)
        {
            best = d.Worker.Pending < best.Worker.Pending ? d : best;
        }

        return best;
    }

    /// <summary>
    /// A pooled hand-off of one batch to a device's worker thread, and the task its caller awaits:
    /// the worker completes it when the device is done; it goes back to the pool once awaited (no
    /// allocation per run).
    /// </summary>
    private sealed class BatchRun(SophonEngine engine) : SophonWorker.WorkItem, IValueTaskSource, IDisposable
    {
        private readonly ManualResetEventSlim _completed = new();
        private ManualResetValueTaskSourceCore<bool> _core = new() { RunContinuationsAsynchronously = true };
        private SophonDevice? _device;
        private SophonBatch? _batch;
        private int _count;
        private bool _synchronous;

        public short Version => _core.Version;

        public void Start(SophonDevice device, SophonBatch batch, int count, bool synchronous)
        {
            _device = device;
            _batch = batch;
            _count = count;
            _synchronous = synchronous;
        }

        /// <summary>For <see cref="Run"/>: blocks until the worker completed the item, then ends it (its failure rethrown).</summary>
        public void Wait()
        {
            _completed.Wait();
            GetResult(_core.Version);
        }

        /// <summary>Back to the pool (after its result was taken, or when it was never queued).</summary>
        public void Abandon()
        {
            _device = null;
            _batch = null;
            _completed.Reset();
            _core.Reset();
            engine._runs.Enqueue(this);
        }

        public void Dispose() => _completed.Dispose();

        public override void Execute() => _device!.Run(_batch!, _count);

        public override void Complete(ExceptionDispatchInfo? error)
        {
            // Read before the result is set: an awaited item may be taken from the pool again right after.
            bool synchronous = _synchronous;
            engine._gate.Exit();
            if (error is null)
            {
                _core.SetResult(true);
            }
            else
            {
                _core.SetException(error.SourceException);
            }

            // Only a synchronous caller waits on the event (an awaited item may already be back in the pool).
            if (synchronous)
            {
                _completed.Set();
            }
        }

        public void GetResult(short token)
        {
            try
            {
                _core.GetResult(token);
            }
            finally
            {
                Abandon();
            }
        }

        public ValueTaskSourceStatus GetStatus(short token) => _core.GetStatus(token);

        public void OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags) =>
            _core.OnCompleted(continuation, state, token, flags);
    }
}
