using Microsoft.ML.OnnxRuntime;
using SimClrV2.Sophon.Infer;

namespace SimClrV2.Sophon.OnnxRuntime;

/// <summary>Options of the ONNX Runtime engine.</summary>
internal sealed class OnnxEngineOptions
{
    /// <summary>The .onnx model file.</summary>
    public string ModelPath { get; set; } = string.Empty;

    /// <summary>The model's bytes, loaded instead of <see cref="ModelPath"/> when not empty; <see cref="ModelPath"/> then only names it in messages.</summary>
    public ReadOnlyMemory<byte> ModelData { get; set; }

    /// <summary>The image input's name (default: the model's first input).</summary>
    public string? InputName { get; set; }

    /// <summary>The logits output's name (default: the model's first output).</summary>
    public string? OutputName { get; set; }

    /// <summary>The image input's layout (default null: detected from its shape, which must then be unambiguous).</summary>
    public TensorLayout? Layout { get; set; }

    /// <summary>Batch size for models with a dynamic batch dimension (default 4); a fixed-batch model uses its own.</summary>
    public int BatchSize { get; set; } = 4;

    /// <summary>Threads ONNX Runtime uses inside one run (0: its default, one per core).</summary>
    public int IntraOpNumThreads { get; set; }

    /// <summary>
    /// Whether ONNX Runtime's threads spin between runs (its own default). Off here: the classifier
    /// decodes the next inputs while a batch is in inference, and spinning threads take those cores.
    /// </summary>
    public bool AllowSpinning { get; set; }

    /// <summary>
    /// Called with ONNX Runtime's <see cref="SessionOptions"/> after this library has set its own
    /// (threads, spinning) and before the session is created: add execution providers
    /// (<c>AppendExecutionProvider_CUDA</c>, <c>..._OpenVINO</c>, ...), change the graph
    /// optimisation level, set threads, add config entries. Null: the CPU defaults.
    /// </summary>
    public Action<SessionOptions>? ConfigureSession { get; set; }
}
