namespace SimClrV2.Sophon.Infer;

/// <summary>
/// What an inference engine states about its image input: tensor name, element type,
/// the NCHW image shape and, for quantised inputs, the scale (<c>q = round(x * scale)</c>).
/// </summary>
/// <param name="Name">The input tensor name, e.g. <c>input</c> or <c>input.1</c>.</param>
/// <param name="ElementType">The element type the network takes.</param>
/// <param name="Channels">Channels (3 for RGB).</param>
/// <param name="Height">Image height in pixels.</param>
/// <param name="Width">Image width in pixels.</param>
/// <param name="QuantizationScale">Scale for <see cref="TensorElementType.Int8"/> and <see cref="TensorElementType.UInt8"/> inputs; 1 otherwise.</param>
public sealed record EngineInput(
    string Name,
    TensorElementType ElementType,
    int Channels,
    int Height,
    int Width,
    float QuantizationScale = 1f)
{
    /// <summary>Elements in one image (C x H x W).</summary>
    public int ElementsPerImage => checked(Channels * Height * Width);

    /// <summary>Bytes in one image of the input tensor.</summary>
    public int BytesPerImage => checked(ElementsPerImage * ElementType.SizeInBytes());
}
