namespace SimClrV2.Sophon.Infer;

/// <summary>
/// What an inference engine states about its image input: tensor name, element type,
/// the image's channels and size, its <see cref="Layout"/> and, for quantised inputs, the scale and zero point
/// (<c>q = round(x * scale + zero_point)</c>, see <see cref="Quantization"/>).
/// </summary>
public sealed class EngineInput
{
    /// <summary>Creates an input description.</summary>
    /// <param name="name">The input tensor name, e.g. <c>input</c> or <c>input.1</c>.</param>
    /// <param name="elementType">The element type the network takes.</param>
    /// <param name="channels">Channels (3 for RGB).</param>
    /// <param name="height">Image height in pixels.</param>
    /// <param name="width">Image width in pixels.</param>
    /// <param name="quantizationScale">Scale for <see cref="TensorElementType.Int8"/> and <see cref="TensorElementType.UInt8"/> inputs; 1 otherwise.</param>
    /// <param name="quantizationZeroPoint">Zero point for quantised inputs (non-zero for asymmetric INT8 models); 0 otherwise.</param>
    /// <param name="layout">How the tensor orders its dimensions.</param>
    public EngineInput(string name, TensorElementType elementType, int channels, int height, int width, float quantizationScale = 1f, int quantizationZeroPoint = 0, TensorLayout layout = TensorLayout.Nchw)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        Name = name;
        ElementType = elementType;
        Channels = channels;
        Height = height;
        Width = width;
        QuantizationScale = quantizationScale;
        QuantizationZeroPoint = quantizationZeroPoint;
        Layout = layout;
    }

    /// <summary>The input tensor name.</summary>
    public string Name { get; }

    /// <summary>The element type the network takes.</summary>
    public TensorElementType ElementType { get; }

    /// <summary>Channels (3 for RGB).</summary>
    public int Channels { get; }

    /// <summary>Image height in pixels.</summary>
    public int Height { get; }

    /// <summary>Image width in pixels.</summary>
    public int Width { get; }

    /// <summary>Scale for quantised inputs; 1 otherwise.</summary>
    public float QuantizationScale { get; }

    /// <summary>Zero point for quantised inputs; 0 otherwise.</summary>
    public int QuantizationZeroPoint { get; }

    /// <summary>How the tensor orders its dimensions (default <see cref="TensorLayout.Nchw"/>).</summary>
    public TensorLayout Layout { get; }

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

        return new EngineInput(name, elementType, channels, height, width, quantizationScale, quantizationZeroPoint, resolved);
    }

    /// <summary>Elements in one image (C x H x W).</summary>
    internal int ElementsPerImage => checked(Channels * Height * Width);

    /// <summary>Bytes in one image of the input tensor.</summary>
    public int BytesPerImage => checked(ElementsPerImage * ElementType.SizeInBytes());
}
