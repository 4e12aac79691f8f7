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

/// <summary>How an image is fitted to the network's input size.</summary>
public enum ResizeMode
{
    /// <summary>The whole image stretched to the input size (aspect ratio not kept; the reference's way).</summary>
    Stretch,

    /// <summary>
    /// The centred square (of the shorter side) times <see cref="PreprocessingOptions.CropFraction"/>, stretched to
    /// the input size: SimCLR/SimCLRv2 ImageNet evaluation (crop fraction 0.875).
    /// </summary>
    CenterCrop,

    /// <summary>The whole image scaled to fit inside the input size, aspect ratio kept, centred, the rest filled with <see cref="PreprocessingOptions.PadValue"/>.</summary>
    Letterbox,
}

/// <summary>How resized pixels are interpolated (no antialiasing in any mode, as on the VPP).</summary>
public enum ResizeInterpolation
{
    /// <summary>Bilinear, OpenCV's INTER_LINEAR convention (the VPP's; the default).</summary>
    Bilinear,

    /// <summary>Nearest neighbour, OpenCV's INTER_NEAREST convention (the VPP's).</summary>
    Nearest,

    /// <summary>Bicubic, OpenCV's INTER_CUBIC convention (a = -0.75); CPU only, the BM1684X VPP has no bicubic.</summary>
    Bicubic,
}

/// <summary>
/// How pixels become network input: <c>value[c] = (pixel[c] * Scale - Mean[c]) / Std[c]</c> for
/// every plane c of the network's channel order, after a resize to <see cref="Width"/> x
/// <see cref="Height"/> when (and only when) the image size differs.
/// </summary>
/// <remarks>
/// Resizing follows <see cref="Resize"/> (default: stretch the whole image) with
/// <see cref="Interpolation"/> (default bilinear, the same arithmetic as BMCV's VPP: OpenCV's
/// INTER_LINEAR convention, no antialiasing).
/// <see cref="Mean"/> and <see cref="Std"/> are given in the network's channel order.
/// </remarks>
internal sealed record PreprocessingOptions
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

    /// <summary>How the image is fitted to the input size (default <see cref="ResizeMode.Stretch"/>).</summary>
    public ResizeMode Resize { get; init; } = ResizeMode.Stretch;

    /// <summary>For <see cref="ResizeMode.CenterCrop"/>: the part of the shorter side kept, in (0, 1] (default 0.875).</summary>
    public float CropFraction { get; init; } = 0.875f;

    /// <summary>For <see cref="ResizeMode.Letterbox"/>: the fill colour as 0..255 R, G, B (default 0, 0, 0).</summary>
    public IReadOnlyList<byte> PadValue { get; init; } = [0, 0, 0];

    /// <summary>How resized pixels are interpolated (default <see cref="ResizeInterpolation.Bilinear"/>).</summary>
    public ResizeInterpolation Interpolation { get; init; } = ResizeInterpolation.Bilinear;

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

        if (!float.IsFinite(Scale) || Scale <= 0f)
        {
            throw new ArgumentException($"Preprocessing Scale must be finite and positive (got {Scale.ToString(CultureInfo.InvariantCulture)}); use 1/255 for [0,1] inputs or 1 for raw pixels.", nameof(Scale));
        }

        if (!Enum.IsDefined(Resize) || !Enum.IsDefined(Interpolation))
        {
            throw new ArgumentException($"Unknown resize mode {Resize} or interpolation {Interpolation}; use Stretch, CenterCrop or Letterbox, and Bilinear, Nearest or Bicubic.", nameof(Resize));
        }

        if (!float.IsFinite(CropFraction) || CropFraction <= 0f || CropFraction > 1f)
        {
            throw new ArgumentException($"Preprocessing CropFraction must be in (0, 1] (got {CropFraction.ToString(CultureInfo.InvariantCulture)}); SimCLR's ImageNet evaluation uses 0.875.", nameof(CropFraction));
        }

        if (PadValue is null || PadValue.Count != 3)
        {
            throw new ArgumentException("Preprocessing PadValue must hold 3 values (R, G, B, 0..255).", nameof(PadValue));
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
        && Scale.Equals(other.Scale) && Mean.SequenceEqual(other.Mean) && Std.SequenceEqual(other.Std)
        && Resize == other.Resize && CropFraction.Equals(other.CropFraction) && PadValue.SequenceEqual(other.PadValue) && Interpolation == other.Interpolation;

    /// <inheritdoc />
    public override int GetHashCode() => HashCode.Combine(Width, Height, ChannelOrder, Scale, Mean.Count > 0 ? Mean[0] : 0f, Std.Count > 0 ? Std[0] : 0f);

    /// <inheritdoc />
    public override string ToString() => string.Create(
        CultureInfo.InvariantCulture,
        $"{Width}x{Height} {ChannelOrder}, scale {Scale:G6}, mean ({string.Join(", ", Mean)}), std ({string.Join(", ", Std)}), {ResizeText()}");

    private string ResizeText()
    {
        string mode = Resize switch
        {
            ResizeMode.CenterCrop => string.Create(CultureInfo.InvariantCulture, $"centre crop {CropFraction:G4}"),
            ResizeMode.Letterbox => $"letterbox pad ({string.Join(", ", PadValue)})",
            _ => "stretch",
        };
        return mode + " " + Interpolation.ToString().ToLowerInvariant();
    }
}
