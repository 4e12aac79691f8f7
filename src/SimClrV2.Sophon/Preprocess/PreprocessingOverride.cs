using System.Globalization;

namespace SimClrV2.Sophon.Preprocess;

/// <summary>
/// Preprocessing fields to change, each one given or left out (null): a classifier's
/// <see cref="Pipeline.ClassifierOptions.Preprocessing"/> and a model manifest's <c>preprocessing</c>
/// section are this one type. The classifier resolves, field by field, the options' fields over the
/// manifest's over the CIFAR-10 convention at the model's input size (<see cref="PreprocessingOptions"/>,
/// what <see cref="Pipeline.IImageClassifier.Preprocessing"/> reports), so
/// <c>new PreprocessingOverride { Width = 64, Height = 64 }</c> changes the size and keeps the
/// manifest's mean and std. The presets give every field: <c>Preprocessing = PreprocessingOverride.UnitRange</c>.
/// How pixels become network input: <c>value[c] = (pixel[c] * Scale - Mean[c]) / Std[c]</c> for every
/// plane c of the network's channel order, after a resize to Width x Height when the image size differs.
/// </summary>
public sealed class PreprocessingOverride
{
    /// <summary>The reference deployment's convention, every field given: 32x32 RGB, <c>(p/255 - mean)/std</c> with the CIFAR-10 statistics, stretch, bilinear.</summary>
    public static PreprocessingOverride Cifar10 => FromPreprocessingOptions(PreprocessingOptions.Cifar10);

    /// <summary>Google SimCLRv2's convention, every field given: 32x32 RGB scaled to [0, 1], no mean/std, stretch, bilinear.</summary>
    public static PreprocessingOverride UnitRange => FromPreprocessingOptions(PreprocessingOptions.UnitRange);

    /// <summary>Input width in pixels (default: the model's).</summary>
    public int? Width { get; set; }

    /// <summary>Input height in pixels (default: the model's).</summary>
    public int? Height { get; set; }

    /// <summary>Plane order, <c>rgb</c> or <c>bgr</c> (default rgb).</summary>
    public ChannelOrder? ChannelOrder { get; set; }

    /// <summary>Pixel multiplier, positive (default 1/255; 1 for raw 0..255 pixels).</summary>
    public float? Scale { get; set; }

    /// <summary>Per-plane mean, 3 values in the network's channel order (default: the CIFAR-10 mean).</summary>
    public IReadOnlyList<float>? Mean { get; set; }

    /// <summary>Per-plane std, 3 positive values in the network's channel order (default: the CIFAR-10 std).</summary>
    public IReadOnlyList<float>? Std { get; set; }

    /// <summary>How the image is fitted: <c>stretch</c> (default), <c>centerCrop</c> or <c>letterbox</c>.</summary>
    public ResizeMode? Resize { get; set; }

    /// <summary>For <c>centerCrop</c>: the part of the shorter side kept, in (0, 1] (default 0.875).</summary>
    public float? CropFraction { get; set; }

    /// <summary>For <c>letterbox</c>: the fill as R, G, B in 0..255 (default 0, 0, 0).</summary>
    public IReadOnlyList<int>? PadValue { get; set; }

    /// <summary>Interpolation: <c>bilinear</c> (default), <c>nearest</c> or <c>bicubic</c>.</summary>
    public ResizeInterpolation? Interpolation { get; set; }

    /// <summary>An override that gives every field of <paramref name="options"/> (a preset, or a resolved preprocessing).</summary>
    /// <param name="options">The options.</param>
    /// <returns>The override.</returns>
    internal static PreprocessingOverride FromPreprocessingOptions(PreprocessingOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        return new()
        {
            Width = options.Width,
            Height = options.Height,
            ChannelOrder = options.ChannelOrder,
            Scale = options.Scale,
            Mean = options.Mean,
            Std = options.Std,
            Resize = options.Resize,
            CropFraction = options.CropFraction,
            PadValue = [.. options.PadValue.Select(v => (int)v)],
            Interpolation = options.Interpolation,
        };
    }

    /// <summary>The fields given, e.g. <c>Width 64, Height 64</c>; <c>(nothing given)</c> when none is.</summary>
    /// <returns>The text.</returns>
    public override string ToString()
    {
        string[] given =
        [
            .. Width is { } w ? [$"Width {w}"] : Array.Empty<string>(),
            .. Height is { } h ? [$"Height {h}"] : Array.Empty<string>(),
            .. ChannelOrder is { } c ? [$"ChannelOrder {c}"] : Array.Empty<string>(),
            .. Scale is { } s ? [string.Create(CultureInfo.InvariantCulture, $"Scale {s:G6}")] : Array.Empty<string>(),
            .. Mean is { } m ? [$"Mean ({string.Join(", ", m.Select(v => v.ToString(CultureInfo.InvariantCulture)))})"] : Array.Empty<string>(),
            .. Std is { } d ? [$"Std ({string.Join(", ", d.Select(v => v.ToString(CultureInfo.InvariantCulture)))})"] : Array.Empty<string>(),
            .. Resize is { } r ? [$"Resize {r}"] : Array.Empty<string>(),
            .. CropFraction is { } f ? [string.Create(CultureInfo.InvariantCulture, $"CropFraction {f:G4}")] : Array.Empty<string>(),
            .. PadValue is { } p ? [$"PadValue ({string.Join(", ", p)})"] : Array.Empty<string>(),
            .. Interpolation is { } i ? [$"Interpolation {i}"] : Array.Empty<string>(),
        ];
        return given.Length == 0 ? "(nothing given)" : string.Join(", ", given);
    }

    /// <summary>Checks the fields that are given, naming the one that is wrong.</summary>
    /// <exception cref="ArgumentException">A value is out of range.</exception>
    internal void Validate()
    {
        if (PadValue is not null && (PadValue.Count != 3 || PadValue.Any(v => v is < 0 or > 255)))
        {
            throw new ArgumentException("Preprocessing PadValue (padValue) must hold 3 values (R, G, B) in 0..255.", nameof(PadValue));
        }

        Over(PreprocessingOptions.Cifar10).Validate();
    }

    /// <summary>The one layering rule: each field given here over the same field of <paramref name="lower"/>.</summary>
    /// <param name="lower">What fields left out take.</param>
    /// <returns>The resolved preprocessing.</returns>
    internal PreprocessingOptions Over(PreprocessingOptions lower) => new()
    {
        Width = Width ?? lower.Width,
        Height = Height ?? lower.Height,
        ChannelOrder = ChannelOrder ?? lower.ChannelOrder,
        Scale = Scale ?? lower.Scale,
        Mean = Mean ?? lower.Mean,
        Std = Std ?? lower.Std,
        Resize = Resize ?? lower.Resize,
        CropFraction = CropFraction ?? lower.CropFraction,
        PadValue = PadValue is null ? lower.PadValue : [.. PadValue.Select(v => (byte)v)],
        Interpolation = Interpolation ?? lower.Interpolation,
    };
}
