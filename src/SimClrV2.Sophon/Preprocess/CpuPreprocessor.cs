using System.Buffers;
using System.Runtime.InteropServices;
using SimClrV2.Sophon.Decode;
using SimClrV2.Sophon.Infer;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;
using SixLabors.ImageSharp.Processing;

namespace SimClrV2.Sophon.Preprocess;

/// <summary>
/// CPU preprocessing: resize with ImageSharp only when the image size differs from the input size,
/// then the SIMD normalisation kernel writes straight into the image's slot of the engine's batch
/// tensor, in the engine's element type. An image already at the input size costs no allocation.
/// Thread-safe (holds no per-call state).
/// </summary>
public sealed class CpuPreprocessor
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

    /// <summary>Writes one decoded image into a tensor slot.</summary>
    /// <param name="image">The decoded image.</param>
    /// <param name="destination">The slot (<see cref="EngineInput.BytesPerImage"/> bytes).</param>
    public void Process(DecodedImage image, Span<byte> destination)
    {
        ArgumentNullException.ThrowIfNull(image);
        if (image.Width == Input.Width && image.Height == Input.Height)
        {
            if (image.Image is null)
            {
                Normalize(image.Pixels.Span, image.Layout, destination);
                return;
            }

            NormalizeImage(image.Image, destination);
            return;
        }

        using Image<Rgb24> resized = Resize(image);
        NormalizeImage(resized, destination);
    }

    /// <summary>Normalises raw RGB bytes already at the input size into a tensor slot.</summary>
    /// <param name="pixels">3 x Width x Height bytes.</param>
    /// <param name="layout">Their layout.</param>
    /// <param name="destination">The slot.</param>
    public void Normalize(ReadOnlySpan<byte> pixels, PixelLayout layout, Span<byte> destination) =>
        PixelNormalizer.Normalize(pixels, layout, Input.Width * Input.Height, _affine, Options.ChannelOrder, destination, Input.ElementType, Input.QuantizationScale);

    private void NormalizeImage(Image<Rgb24> image, Span<byte> destination)
    {
        if (image.DangerousTryGetSinglePixelMemory(out Memory<Rgb24> memory))
        {
            Normalize(MemoryMarshal.AsBytes(memory.Span), PixelLayout.Interleaved, destination);
            return;
        }

        int size = image.Width * image.Height * 3;
        byte[] buffer = ArrayPool<byte>.Shared.Rent(size);
        try
        {
            image.CopyPixelDataTo(buffer.AsSpan(0, size));
            Normalize(buffer.AsSpan(0, size), PixelLayout.Interleaved, destination);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private Image<Rgb24> Resize(DecodedImage image)
    {
        var size = new Size(Input.Width, Input.Height);
        var resize = new ResizeOptions { Size = size, Mode = ResizeMode.Stretch, Sampler = KnownResamplers.Triangle };
        if (image.Image is not null)
        {
            return image.Image.Clone(c => c.Resize(resize));
        }

        Image<Rgb24> source = ToImage(image.Pixels, image.Layout, image.Width, image.Height);
        source.Mutate(c => c.Resize(resize));
        return source;
    }

    private static Image<Rgb24> ToImage(ReadOnlyMemory<byte> pixels, PixelLayout layout, int width, int height)
    {
        if (layout == PixelLayout.Interleaved)
        {
            return SixLabors.ImageSharp.Image.LoadPixelData<Rgb24>(pixels.Span, width, height);
        }

        int plane = width * height;
        var image = new Image<Rgb24>(width, height);
        image.ProcessPixelRows(accessor =>
        {
            ReadOnlySpan<byte> p = pixels.Span;
            for (int y = 0; y < height; y++)
            {
                Span<Rgb24> row = accessor.GetRowSpan(y);
                for (int x = 0; x < width; x++)
                {
                    int i = (y * width) + x;
                    row[x] = new Rgb24(p[i], p[plane + i], p[(2 * plane) + i]);
                }
            }
        });
        return image;
    }
}
