namespace SimClrV2.Sophon.Infer;

/// <summary>How an image input tensor orders its dimensions.</summary>
public enum TensorLayout
{
    /// <summary><c>[N, C, H, W]</c>: one plane per channel (PyTorch, ONNX exports of it, TPU-MLIR's default).</summary>
    Nchw,

    /// <summary><c>[N, H, W, C]</c>: channels interleaved per pixel (Keras/TensorFlow exports).</summary>
    Nhwc,
}

/// <summary>
/// Reads an image input's layout, channels and size from its 4-D shape: the layout is detected when
/// only one of the two places holds 3 channels; a requested layout is checked against the shape.
/// Shared by every engine, so ONNX Runtime and SOPHON models are read by one rule.
/// </summary>
internal static class InputShape
{
    /// <summary>Resolves the layout and the image's C, H, W; returns an error sentence instead when the shape does not fit.</summary>
    /// <param name="dims">The input's dimensions (the batch dimension first; it may be dynamic).</param>
    /// <param name="requested">The layout the manifest or the options name, or null to detect it.</param>
    /// <param name="layout">The layout.</param>
    /// <param name="channels">Channels.</param>
    /// <param name="height">Height.</param>
    /// <param name="width">Width.</param>
    /// <returns>Null when resolved, else what is wrong and how to fix it.</returns>
    public static string? TryResolve(IReadOnlyList<int> dims, TensorLayout? requested, out TensorLayout layout, out int channels, out int height, out int width)
    {
        layout = TensorLayout.Nchw;
        channels = height = width = 0;
        string shape = $"[{string.Join(", ", dims)}]";
        if (dims.Count != 4 || dims[1] <= 0 || dims[2] <= 0 || dims[3] <= 0)
        {
            return $"has shape {shape}; a 4-D image tensor with fixed channels, height and width is needed: NCHW [N, 3, H, W] or NHWC [N, H, W, 3]";
        }

        bool nchw = dims[1] == 3;
        bool nhwc = dims[3] == 3;
        if (requested is { } named)
        {
            if (!Enum.IsDefined(named))
            {
                return $"names the unknown layout {named}; use nchw or nhwc";
            }

            if (named == TensorLayout.Nchw ? !nchw : !nhwc)
            {
                int seen = named == TensorLayout.Nchw ? dims[1] : dims[3];
                string other = named == TensorLayout.Nchw ? (nhwc ? "; the shape reads as NHWC: set layout to nhwc" : string.Empty) : (nchw ? "; the shape reads as NCHW: set layout to nchw" : string.Empty);
                return $"is configured as layout {Name(named)} but has shape {shape}: {seen} channels where {Name(named)} keeps them; only 3-channel RGB/BGR inputs are supported{other}";
            }

            layout = named;
        }
        else if (nchw == nhwc)
        {
            return nchw
                ? $"has shape {shape}, which reads as NCHW and as NHWC; set the layout (manifest \"layout\": \"nchw\" or \"nhwc\", or the Layout option)"
                : $"has shape {shape}: 3 channels neither in NCHW's place (dimension 1: {dims[1]}) nor in NHWC's (dimension 3: {dims[3]}); only 3-channel RGB/BGR inputs are supported";
        }
        else
        {
            layout = nchw ? TensorLayout.Nchw : TensorLayout.Nhwc;
        }

        (channels, height, width) = layout == TensorLayout.Nchw ? (dims[1], dims[2], dims[3]) : (dims[3], dims[1], dims[2]);
        return null;
    }

    /// <summary>The layout as manifests spell it.</summary>
    public static string Name(TensorLayout layout) => layout == TensorLayout.Nhwc ? "nhwc" : "nchw";
}
