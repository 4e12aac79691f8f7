namespace SimClrV2.Sophon.Infer;

/// <summary>
/// What an inference engine states about its image input: tensor name, element type,
/// the image's channels and size, its <see cref="Layout"/> and, for quantised inputs, the scale and zero point
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
    /// <summary>How the tensor orders its dimensions (default <see cref="TensorLayout.Nchw"/>).</summary>
    public TensorLayout Layout { get; init; } = TensorLayout.Nchw;

    /// <summary>
    /// The input of an image tensor of the given shape: the layout is the one named, else detected
    /// (NCHW when dimension 1 is 3, NHWC when dimension 3 is 3; a shape that reads both ways needs it
    /// named), and channels, height and width are read in that layout.
    /// </summary>
    /// <param name="name">The tensor name.</param>
    /// <param name="elementType">The element type.</param>
    /// <param name="dimensions">The tensor's 4 dimensions, batch first (the batch may be dynamic, e.g. -1).</param>
    /// <param name="layout">The layout the model's manifest or the options name; null detects it.</param>
    /// <param name="quantizationScale">Scale for quantised inputs.</param>
    /// <param name="quantizationZeroPoint">Zero point for quantised inputs.</param>
    /// <returns>The input.</returns>
    /// <exception cref="ArgumentException">The shape is not a 3-channel image in the named (or any) layout; the message names the layout and the shape seen.</exception>
    public static EngineInput FromShape(string name, TensorElementType elementType, IReadOnlyList<int> dimensions, TensorLayout? layout = null, float quantizationScale = 1f, int quantizationZeroPoint = 0)
    {
        ArgumentNullException.ThrowIfNull(name);
        ArgumentNullException.ThrowIfNull(dimensions);
        if (InputShape.TryResolve(dimensions, layout, out TensorLayout resolved, out int channels, out int height, out int width) is { } error)
        {
            throw new ArgumentException($"The network input '{name}' {error}.");
        }

        return new EngineInput(name, elementType, channels, height, width, quantizationScale, quantizationZeroPoint) { Layout = resolved };
    }

    /// <summary>Elements in one image (C x H x W).</summary>
    public int ElementsPerImage => checked(Channels * Height * Width);

    /// <summary>Bytes in one image of the input tensor.</summary>
    public int BytesPerImage => checked(ElementsPerImage * ElementType.SizeInBytes());
}
