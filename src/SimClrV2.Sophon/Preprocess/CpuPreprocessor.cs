using System.Buffers;
using System.Runtime.InteropServices;
using SimClrV2.Sophon.Decode;
using SimClrV2.Sophon.Infer;
using SixLabors.ImageSharp.PixelFormats;

namespace SimClrV2.Sophon.Preprocess;

/// <summary>
/// CPU preprocessing: the image fitted to the input size by <see cref="PreprocessingOptions.Resize"/> and
/// <see cref="PreprocessingOptions.Interpolation"/> (see <see cref="ImageResize"/>) unless it already is the input (same size, stretched),
/// then the SIMD normalisation kernel writes straight into the image's slot of the engine's batch
/// tensor, in the engine's element type. An image already at the input size costs no allocation.
/// Thread-safe (holds no per-call state).
/// </summary>
internal sealed class CpuPreprocessor : IImagePreprocessor
{
    private readonly ChannelAffine _affine;

    /// <summary>Creates a preprocessor for an engine input.</summary>
    /// <param name="options">How pixels become values.</param>
    /// <param name="input">The engine input (size, element type, quantisation scale).</param>
    /// <exception cref="ArgumentException">The options are invalid or disagree with the engine's input size.</exception>
    public CpuPreprocessor(PreprocessingOptions options, EngineInput input)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(input);
        options.Validate();
        if (input.Channels != 3)
        {
            throw new ArgumentException($"The network input '{input.Name}' has {input.Channels} channels; only 3-channel RGB/BGR inputs are supported.", nameof(input));
        }

        if (input.Width != options.Width || input.Height != options.Height)
        {
            throw new ArgumentException(
                $"Preprocessing size {options.Width}x{options.Height} differs from the network input '{input.Name}' ({input.Width}x{input.Height}); set PreprocessingOptions Width/Height to the model's size.",
                nameof(options));
        }

        Options = options;
        Input = input;
        _affine = new ChannelAffine(options);
    }

    /// <summary>The preprocessing options.</summary>
    public PreprocessingOptions Options { get; }

    /// <summary>The engine input written to.</summary>
    public EngineInput Input { get; }

    /// <inheritdoc />
    public string Name => "cpu";

    /// <inheritdoc />
    public void Process(DecodedImage image, InferenceBatch batch, int slot)
    {
        ArgumentNullException.ThrowIfNull(batch);
        Process(image, batch.ImageSlot(slot));
    }

    /// <summary>Writes one decoded image into a tensor slot (resizing first when its size differs).</summary>
    /// <param name="image">The decoded image.</param>
    /// <param name="destination">The slot (<see cref="EngineInput.BytesPerImage"/> bytes).</param>
    public void Process(DecodedImage image, Span<byte> destination)
    {
        ArgumentNullException.ThrowIfNull(image);
        byte[]? copy = null;
        try
        {
            ReadOnlySpan<byte> pixels = Pixels(image, ref copy, out PixelLayout layout);
            ResizePlan plan = ResizePlan.For(image.Width, image.Height, Options);
            if (plan.IsIdentity(image.Width, image.Height, Input.Width, Input.Height))
            {
                Normalize(pixels, layout, destination);
                return;
            }

            byte[] resized = ImageResize.Resize(
                pixels, layout == PixelLayout.Planar, image.Width, image.Height, plan, Input.Width, Input.Height, Options.Interpolation, (Options.PadValue[0], Options.PadValue[1], Options.PadValue[2]));
            try
            {
                Normalize(resized.AsSpan(0, Input.Width * Input.Height * 3), PixelLayout.Interleaved, destination);
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(resized);
            }
        }
        finally
        {
            if (copy is not null)
            {
                ArrayPool<byte>.Shared.Return(copy);
            }
        }
    }

    /// <summary>The image's 8-bit RGB bytes: its own memory where possible, else a pooled copy.</summary>
    internal static ReadOnlySpan<byte> Pixels(DecodedImage image, ref byte[]? copy, out PixelLayout layout)
    {
        layout = image.Image is null ? image.Layout : PixelLayout.Interleaved;
        if (image.Image is null)
        {
            return image.Pixels.Span;
        }

        if (image.Image.DangerousTryGetSinglePixelMemory(out Memory<Rgb24> memory))
        {
            return MemoryMarshal.AsBytes(memory.Span);
        }

        int size = image.Width * image.Height * 3;
        copy = ArrayPool<byte>.Shared.Rent(size);
        image.Image.CopyPixelDataTo(copy.AsSpan(0, size));
        return copy.AsSpan(0, size);
    }

    /// <summary>Normalises raw RGB bytes already at the input size into a tensor slot.</summary>
    /// <param name="pixels">3 x Width x Height bytes.</param>
    /// <param name="layout">Their layout.</param>
    /// <param name="destination">The slot.</param>
    public void Normalize(ReadOnlySpan<byte> pixels, PixelLayout layout, Span<byte> destination) =>
        PixelNormalizer.Normalize(pixels, layout, Input.Width * Input.Height, _affine, Options.ChannelOrder, destination, Input.ElementType, Input.QuantizationScale, Input.QuantizationZeroPoint, Input.Layout);
}
