using System.Globalization;

namespace SimClrV2.Sophon.Preprocess;

/// <summary>The channel order of the network input planes.</summary>
public enum ChannelOrder
{
    /// <summary>Red, green, blue planes (the reference and Google SimCLRv2).</summary>
    Rgb,

    /// <summary>Blue, green, red planes (OpenCV-trained models).</summary>
    Bgr,
}

/// <summary>
/// How pixels become network input: <c>value[c] = (pixel[c] * Scale - Mean[c]) / Std[c]</c> for
/// every plane c of the network's channel order, after a resize to <see cref="Width"/> x
/// <see cref="Height"/> when (and only when) the image size differs.
/// </summary>
/// <remarks>
/// Resizing stretches the whole image to the input size (no crop, no letterbox), bilinearly with the
/// same arithmetic as BMCV's VPP (OpenCV's INTER_LINEAR convention, no antialiasing).
/// <see cref="Mean"/> and <see cref="Std"/> are given in the network's channel order.
/// </remarks>
public sealed record PreprocessingOptions
{
    /// <summary>The reference deployment's convention: 32x32 RGB, <c>(p/255 - mean)/std</c> with the CIFAR-10 statistics.</summary>
    public static PreprocessingOptions Cifar10 { get; } = new()
    {
        Width = 32,
        Height = 32,
        ChannelOrder = ChannelOrder.Rgb,
        Scale = 1f / 255f,
        Mean = [0.4914f, 0.4822f, 0.4465f],
        Std = [0.2023f, 0.1994f, 0.2010f],
    };

    /// <summary>Google SimCLRv2's convention: 32x32 RGB scaled to [0, 1], no mean/std.</summary>
    public static PreprocessingOptions UnitRange { get; } = new()
    {
        Width = 32,
        Height = 32,
        ChannelOrder = ChannelOrder.Rgb,
        Scale = 1f / 255f,
        Mean = [0f, 0f, 0f],
        Std = [1f, 1f, 1f],
    };

    /// <summary>Network input width in pixels.</summary>
    public int Width { get; init; } = 32;

    /// <summary>Network input height in pixels.</summary>
    public int Height { get; init; } = 32;

    /// <summary>The plane order the network expects.</summary>
    public ChannelOrder ChannelOrder { get; init; } = ChannelOrder.Rgb;

    /// <summary>Multiplier applied to the 0..255 pixel value first (1/255 for [0, 1]; 1 for raw pixels).</summary>
    public float Scale { get; init; } = 1f / 255f;

    /// <summary>Per-plane mean subtracted after scaling (3 values, network channel order).</summary>
    public IReadOnlyList<float> Mean { get; init; } = [0f, 0f, 0f];

    /// <summary>Per-plane standard deviation divided by last (3 positive values, network channel order).</summary>
    public IReadOnlyList<float> Std { get; init; } = [1f, 1f, 1f];

    /// <summary>Checks every value and throws naming the one that is wrong.</summary>
    /// <exception cref="ArgumentException">A value is out of range.</exception>
    public void Validate()
    {
        if (Width is < 1 or > 16384 || Height is < 1 or > 16384)
        {
            throw new ArgumentException($"Preprocessing size {Width}x{Height} is out of range; use 1..16384 for Width and Height.", nameof(Width));
        }

        if (!Enum.IsDefined(ChannelOrder))
        {
            throw new ArgumentException($"Unknown channel order {ChannelOrder}; use Rgb or Bgr.", nameof(ChannelOrder));
        }

        if (!float.IsFinite(Scale) || Scale == 0f)
        {
            throw new ArgumentException($"Preprocessing Scale must be finite and non-zero (got {Scale.ToString(CultureInfo.InvariantCulture)}); use 1/255 for [0,1] inputs or 1 for raw pixels.", nameof(Scale));
        }

        if (Mean is null || Mean.Count != 3 || Mean.Any(m => !float.IsFinite(m)))
        {
            throw new ArgumentException("Preprocessing Mean must hold 3 finite values, one per channel in the network's channel order.", nameof(Mean));
        }

        if (Std is null || Std.Count != 3 || Std.Any(s => !float.IsFinite(s) || s <= 0f))
        {
            throw new ArgumentException("Preprocessing Std must hold 3 finite positive values, one per channel in the network's channel order.", nameof(Std));
        }
    }

    /// <inheritdoc />
    public bool Equals(PreprocessingOptions? other) =>
        other is not null
        && Width == other.Width && Height == other.Height && ChannelOrder == other.ChannelOrder
        && Scale.Equals(other.Scale) && Mean.SequenceEqual(other.Mean) && Std.SequenceEqual(other.Std);

    /// <inheritdoc />
    public override int GetHashCode() => HashCode.Combine(Width, Height, ChannelOrder, Scale, Mean.Count > 0 ? Mean[0] : 0f, Std.Count > 0 ? Std[0] : 0f);

    /// <inheritdoc />
    public override string ToString() => string.Create(
        CultureInfo.InvariantCulture,
        $"{Width}x{Height} {ChannelOrder}, scale {Scale:G6}, mean ({string.Join(", ", Mean)}), std ({string.Join(", ", Std)})");
}
