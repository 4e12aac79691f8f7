namespace SimClrV2.Sophon.Infer;

/// <summary>
/// What an inference engine states about its image input: tensor name, element type,
/// the NCHW image shape and, for quantised inputs, the scale and zero point
/// (<c>q = round(x * scale + zero_point)</c>, see <see cref="Quantization"/>).
/// </summary>
/// <param name="Name">The input tensor name, e.g. <c>input</c> or <c>input.1</c>.</param>
/// <param name="ElementType">The element type the network takes.</param>
/// <param name="Channels">Channels (3 for RGB).</param>
/// <param name="Height">Image height in pixels.</param>
/// <param name="Width">Image width in pixels.</param>
/// <param name="QuantizationScale">Scale for <see cref="TensorElementType.Int8"/> and <see cref="TensorElementType.UInt8"/> inputs; 1 otherwise.</param>
/// <param name="QuantizationZeroPoint">Zero point for quantised inputs (non-zero for asymmetric INT8 models); 0 otherwise.</param>
public sealed record EngineInput(
    string Name,
    TensorElementType ElementType,
    int Channels,
    int Height,
    int Width,
    float QuantizationScale = 1f,
    int QuantizationZeroPoint = 0)
{
    /// <summary>Elements in one image (C x H x W).</summary>
    public int ElementsPerImage => checked(Channels * Height * Width);

    /// <summary>Bytes in one image of the input tensor.</summary>
    public int BytesPerImage => checked(ElementsPerImage * ElementType.SizeInBytes());
}
