namespace SimClrV2.Sophon.Preprocess;

/// <summary>
/// Preprocessing fields to change, each one given or left out (null): a classifier's
/// <see cref="Pipeline.ClassifierOptions.Preprocessing"/> and a model manifest's <c>preprocessing</c>
/// section are this one type. The classifier resolves, field by field, the options' fields over the
/// manifest's over the CIFAR-10 convention at the model's input size (<see cref="PreprocessingOptions"/>,
/// what <see cref="Pipeline.IImageClassifier.Preprocessing"/> reports), so
/// <c>new PreprocessingOverride { Width = 64, Height = 64 }</c> changes the size and keeps the
/// manifest's mean and std. A complete <see cref="PreprocessingOptions"/> (a preset) gives every
/// field when converted on purpose: <c>Preprocessing = (PreprocessingOverride)PreprocessingOptions.UnitRange</c>
/// (no implicit conversion: a <c>new PreprocessingOptions { Width = 64 }</c> would silently reset
/// every other field to its default).
/// </summary>
public sealed class PreprocessingOverride
{
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
    /// <param name="options">The options; null gives null.</param>
    public static explicit operator PreprocessingOverride?(PreprocessingOptions? options) => options is null ? null : FromPreprocessingOptions(options);

    /// <summary>An override that gives every field of <paramref name="options"/>.</summary>
    /// <param name="options">The options.</param>
    /// <returns>The override.</returns>
    public static PreprocessingOverride FromPreprocessingOptions(PreprocessingOptions options)
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

    /// <summary>Checks the fields that are given, naming the one that is wrong.</summary>
    /// <exception cref="ArgumentException">A value is out of range.</exception>
    public void Validate()
    {
        if (PadValue is not null && (PadValue.Count != 3 || PadValue.Any(v => v is < 0 or > 255)))
        {
            throw new ArgumentException("preprocessing padValue must hold 3 values (R, G, B) in 0..255.", nameof(PadValue));
        }

        try
        {
            Over(PreprocessingOptions.Cifar10).Validate();
        }
        catch (ArgumentException ex)
        {
            throw new ArgumentException("preprocessing: " + ex.Message, ex.ParamName, ex);
        }
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
