using SimClrV2.Sophon.Infer;
using SimClrV2.Sophon.Tpu.Interop;

namespace SimClrV2.Sophon.Tpu;

/// <summary>
/// A batch of the SOPHON engine: pinned host buffers for the input tensor (the network's dtype),
/// the raw output and the float output; in device-input mode also the input tensor's device
/// memory on one device, which BMCV fills and launches use directly.
/// </summary>
internal sealed class SophonBatch : InferenceBatch, IDisposable
{
    private readonly byte[] _input;
    private readonly float[] _outputs;
    private readonly float[] _embeddings;

    public SophonBatch(SophonEngine owner, NetworkPlan plan, SophonDevice? device)
        : base(plan.Input, plan.MaxBatchSize, plan.OutputLength)
    {
        Owner = owner;
        Device = device;
        DeviceInput = device?.Worker.Invoke(() => DeviceMemoryHandle.Allocate(device.Runtime, (long)Capacity * Input.BytesPerImage));
        _input = GC.AllocateArray<byte>(Capacity * Input.BytesPerImage, pinned: true);
        _outputs = new float[Capacity * OutputLength];
        RawOutput = GC.AllocateArray<byte>(Capacity * plan.OutputRowBytes, pinned: true);
        _embeddings = new float[Capacity * plan.EmbeddingLength];
        RawEmbeddings = GC.AllocateArray<byte>(Capacity * plan.EmbeddingRowBytes, pinned: true);
    }

    public SophonEngine Owner { get; }

    /// <summary>The device a device-input batch belongs to (null: any device).</summary>
    public SophonDevice? Device { get; }

    /// <summary>The input tensor on the device (device-input mode), else null.</summary>
    public DeviceMemoryHandle? DeviceInput { get; }

    public byte[] RawOutput { get; }

    /// <summary>The embedding rows as the device wrote them (its dtype); empty when none is fetched.</summary>
    public byte[] RawEmbeddings { get; }

    public override Span<byte> InputBytes => _input;

    public override Span<float> Outputs => _outputs;

    public override Span<float> Embeddings => _embeddings;

    public byte[] InputArray => _input;

    public void Dispose() => DeviceInput?.Dispose();
}
