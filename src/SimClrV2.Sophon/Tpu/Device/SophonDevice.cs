using System.Diagnostics;
using System.Text;
using SimClrV2.Sophon.Infer;
using SimClrV2.Sophon.Tpu.Interop;

namespace SimClrV2.Sophon.Tpu;

/// <summary>
/// One device of the engine: its worker thread (launch and <c>bm_thread_sync</c> on the same OS
/// thread), the model loaded on it, the network's plan and one input/output buffer pair per stage.
/// Every native call runs on the worker thread.
/// </summary>
internal sealed class SophonDevice : IDisposable
{
    private readonly SophonModel _model;
    private readonly byte[] _netName;
    private StageBuffers[] _stages = [];

    /// <summary>Loads the model (the file at <paramref name="path"/>, or <paramref name="data"/> when not empty) on the device, on a new worker thread, and allocates the stage buffers.</summary>
    public SophonDevice(string path, ReadOnlyMemory<byte> data, int deviceId, string? networkName, TensorLayout? layout = null, string? logits = null, Func<IReadOnlyList<string>, string, string?>? embedding = null)
    {
        Worker = new SophonWorker($"sophon-dev{deviceId}");
        try
        {
            _model = Worker.Invoke(() => data.IsEmpty ? SophonModel.Load(path, deviceId) : SophonModel.Load(data, deviceId));
            Plan = NetworkPlan.Create(_model.GetNetwork(networkName), path, layout, logits, embedding);
            _netName = Encoding.UTF8.GetBytes(Plan.Network.Name + "\0");
            _stages = Worker.Invoke(AllocateStages);
            ChipId = Worker.Invoke(ReadChipId);
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

    public NetworkPlan Plan { get; }

    public int DeviceId => _model.DeviceId;

    /// <summary>The chip (<c>bm_get_chipid</c>: 0x1686 BM1684X, 0x1684 BM1684); 0 when it could not be read.</summary>
    public uint ChipId { get; }

    public SophonDeviceHandle Handle => _model.Device;

    public SophonRuntimeHandle Runtime => _model.Runtime;

    /// <summary>Runs one batch (on the calling thread: call it on the worker): copy in, launch, sync, copy out, decode.</summary>
    public unsafe void Run(SophonBatch batch, int count)
    {
        NetworkPlan plan = Plan;
        StageBuffers stage = _stages[plan.ChooseStage(count)];

        // Validated in C# before every call that could throw inside the vendor library: sizes come
        // from the plan, the buffers were allocated from them, dtype and shape are the network's own.
        if (stage.Plan.InputBytes > stage.Input.Size || stage.Plan.InputBytes > batch.InputArray.Length)
        {
            throw new SophonException($"Internal error: stage of batch {stage.Plan.Batch} needs {stage.Plan.InputBytes} input bytes.");
        }

        DeviceMemoryHandle input = batch.DeviceInput ?? stage.Input; // device input: filled by the preprocessor, no host copy
        if (batch.DeviceInput is null)
        {
            stage.Input.CopyFromHost(batch.InputArray.AsSpan(0, (int)stage.Plan.InputBytes));
        }

        using HandleLease reading = input.Lease(), writing = stage.Outputs.Lease(); // the launch and its sync use both by value
        BmTensor inputTensor = new() { DType = (int)plan.InputTensor.DataType, Shape = BmShape.From(stage.Plan.InputDims), DeviceMem = input.Memory };

        // Every output of the network gets its buffer (the runtime takes exactly its output count):
        // slices of one allocation per stage, the logits and the embedding among them.
        int outputNum = plan.Network.Outputs.Count;
        BmTensor* outputTensors = stackalloc BmTensor[outputNum];
        for (int o = 0; o < outputNum; o++)
        {
            outputTensors[o] = new BmTensor { DType = (int)plan.Network.Outputs[o].DataType, DeviceMem = stage.Outputs.Slice(stage.OutputOffsets[o], (uint)stage.Plan.OutputBytes[o]) };
        }

        long launched = Stopwatch.GetTimestamp();
        fixed (byte* net = _netName)
        {
            NativeStatus.Check(
                SophonNative.bmrt_launch_tensor_ex(_model.Runtime, net, &inputTensor, 1, outputTensors, outputNum, 1, 0),
                "bmrt_launch_tensor_ex",
                $"network '{plan.Network.Name}' did not launch on device {DeviceId} (batch {stage.Plan.Batch}); the runtime printed why on stdout ([BMRT] lines).");
        }

        SophonStatus synced = SophonNative.bm_thread_sync(_model.Device);
        if (synced != SophonStatus.Success)
        {
            // The launch may still be queued: drain everything sent through the handle before
            // these buffers are reused or freed, then report the failure for this batch.
            _ = _model.Device.Drain();
            NativeStatus.Check(synced, "bm_thread_sync", $"on device {DeviceId} for network '{plan.Network.Name}'; check the device (bm-smi) and its memory.");
        }

        batch.ComputeMs = Stopwatch.GetElapsedTime(launched).TotalMilliseconds;
        int outBytes = count * plan.OutputRowBytes;
        stage.Outputs.CopyToHost(batch.RawOutput.AsSpan(0, outBytes), stage.OutputOffsets[plan.OutputIndex]);
        OutputDecoder.Decode(batch.RawOutput.AsSpan(0, outBytes), plan.OutputTensor, batch.Outputs[..(count * plan.OutputLength)]);
        if (plan.EmbeddingTensor is { } embedding)
        {
            int embeddingBytes = count * plan.EmbeddingRowBytes;
            stage.Outputs.CopyToHost(batch.RawEmbeddings.AsSpan(0, embeddingBytes), stage.OutputOffsets[plan.EmbeddingIndex]);
            OutputDecoder.Decode(batch.RawEmbeddings.AsSpan(0, embeddingBytes), embedding, batch.Embeddings[..(count * plan.EmbeddingLength)]);
        }
    }

    /// <summary>Waits, on the worker, for all work sent through the device handle (nothing runs on the device after this).</summary>
    public void Drain() => _ = Worker.Invoke(() => _model.Device.Drain());

    /// <summary>Drains the device, then frees, on the worker and in the vendor's order, the stage buffers, the runtime and the device; stops the worker.</summary>
    public void Dispose()
    {
        Worker.Invoke(() =>
        {
            _ = _model.Device.Drain();
            foreach (StageBuffers s in _stages)
            {
                s.Dispose();
            }

            _model.Dispose();
            return 0;
        });
        Worker.Dispose();
    }

    private unsafe uint ReadChipId()
    {
        uint chip = 0;
        return SophonNative.bm_get_chipid(_model.Device, &chip) == SophonStatus.Success ? chip : 0;
    }

    private StageBuffers[] AllocateStages()
    {
        var stages = new List<StageBuffers>();
        try
        {
            foreach (StagePlan plan in Plan.Stages)
            {
                DeviceMemoryHandle input = DeviceMemoryHandle.Allocate(_model.Runtime, plan.InputBytes);
                try
                {
                    stages.Add(StageBuffers.Create(plan, input, _model.Runtime));
                }
                catch
                {
                    input.Dispose();
                    throw;
                }
            }
        }
        catch
        {
            foreach (StageBuffers s in stages)
            {
                s.Dispose();
            }

            throw;
        }

        return [.. stages];
    }

    /// <summary>One stage's device buffers: the input, and one allocation holding every output at its offset.</summary>
    private sealed record StageBuffers(StagePlan Plan, DeviceMemoryHandle Input, DeviceMemoryHandle Outputs, long[] OutputOffsets) : IDisposable
    {
        /// <summary>Outputs start on 4 KiB boundaries within their allocation.</summary>
        private const long Alignment = 4096;

        public static StageBuffers Create(StagePlan plan, DeviceMemoryHandle input, SophonRuntimeHandle runtime)
        {
            long[] offsets = new long[plan.OutputBytes.Count];
            for (int o = 1; o < offsets.Length; o++)
            {
                offsets[o] = (offsets[o - 1] + plan.OutputBytes[o - 1] + Alignment - 1) / Alignment * Alignment;
            }

            return new StageBuffers(plan, input, DeviceMemoryHandle.Allocate(runtime, offsets[^1] + plan.OutputBytes[^1]), offsets);
        }

        public void Dispose()
        {
            Input.Dispose();
            Outputs.Dispose();
        }
    }
}
