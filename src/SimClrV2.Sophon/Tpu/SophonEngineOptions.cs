using SimClrV2.Sophon.Infer;
using SimClrV2.Sophon.Tpu.Interop;

namespace SimClrV2.Sophon.Tpu;

/// <summary>Options of <see cref="SophonEngine"/>.</summary>
internal sealed class SophonEngineOptions
{
    /// <summary>The .bmodel file (the same file is loaded on every device).</summary>
    public string ModelPath { get; set; } = string.Empty;

    /// <summary>The bmodel's bytes, loaded instead of <see cref="ModelPath"/> when not empty (<c>bmrt_load_bmodel_data</c>, after the same checks); <see cref="ModelPath"/> then only names it in messages.</summary>
    public ReadOnlyMemory<byte> ModelData { get; set; }

    /// <summary>Devices to run on; one worker thread and runtime per device, batches spread across them (default: device 0).</summary>
    public IReadOnlyList<int> DeviceIds { get; set; } = [0];

    /// <summary>The network to run (default: the bmodel's first).</summary>
    public string? NetworkName { get; set; }

    /// <summary>The image input's layout (default null: detected from its shape, which must then be unambiguous).</summary>
    public TensorLayout? Layout { get; set; }

    /// <summary>
    /// True gives every batch device memory for its input tensor, bound to one device, which the
    /// preprocessor fills on the device (BMCV) and launches use directly, with no host copy.
    /// </summary>
    public bool DeviceInput { get; set; }

    /// <summary>Where to find libsophon (default: <see cref="SophonLibrary"/>'s search).</summary>
    public SophonLibraryOptions? Library { get; set; }
}
