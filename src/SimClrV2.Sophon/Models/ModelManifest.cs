using System.Text.Json;
using System.Text.Json.Serialization;
using SimClrV2.Sophon.Infer;
using SimClrV2.Sophon.Postprocess;
using SimClrV2.Sophon.Preprocess;

namespace SimClrV2.Sophon.Models;

/// <summary>
/// The small JSON file beside a model that makes it configure itself: tensor names, preprocessing
/// and class names. For <c>model.onnx</c> it is <c>model.manifest.json</c>. Every field is optional;
/// what it leaves out is read from the model (names) or takes the defaults.
/// </summary>
public sealed class ModelManifest
{
    private static readonly JsonSerializerOptions s_json = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        PropertyNameCaseInsensitive = true,
        ReadCommentHandling = JsonCommentHandling.Skip,
        AllowTrailingCommas = true,
        WriteIndented = true,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.CamelCase) },
    };

    /// <summary>A display name for the model.</summary>
    public string? Name { get; set; }

    /// <summary>The model file, relative to the manifest.</summary>
    public string? Model { get; set; }

    /// <summary>The model card, relative to the manifest.</summary>
    public string? Card { get; set; }

    /// <summary>The image input tensor's name (default: the model's first input).</summary>
    public string? InputName { get; set; }

    /// <summary>The logits output tensor's name (default: the model's first output).</summary>
    public string? OutputName { get; set; }

    /// <summary>The image input's layout, <c>nchw</c> or <c>nhwc</c> (default: detected from the model's input shape).</summary>
    public TensorLayout? Layout { get; set; }

    /// <summary>How pixels become network input.</summary>
    public ManifestPreprocessing? Preprocessing { get; set; }

    /// <summary>
    /// True when the model does <see cref="Preprocessing"/> itself (TPU-MLIR's
    /// <c>--fuse_preprocessing</c>): it takes the raw 0..255 pixels at the preprocessing's size and
    /// channel order, and the host does no arithmetic.
    /// </summary>
    public bool? FusedPreprocessing { get; set; }

    /// <summary>Class names in index order.</summary>
    public IReadOnlyList<string>? Labels { get; set; }

    /// <summary>What the model outputs: <c>logits</c> (default) or <c>probabilities</c> (a model ending in softmax; not softmaxed again).</summary>
    public OutputKind? OutputKind { get; set; }

    /// <summary>Top-1 accuracy in percent on the model's test set, as its card states.</summary>
    public double? Accuracy { get; set; }

    /// <summary>
    /// The preprocessing the host applies: the manifest's, or, for a model with fused
    /// preprocessing, the raw pixels (scale 1, mean 0, std 1) at its size and channel order.
    /// </summary>
    /// <returns>The options, or null when the manifest has no preprocessing section.</returns>
    public PreprocessingOptions? HostPreprocessing() =>
        Preprocessing?.ToOptions() is not { } options ? null
        : FusedPreprocessing == true ? options with { Scale = 1f, Mean = [0f, 0f, 0f], Std = [1f, 1f, 1f] }
        : options;

    /// <summary>The manifest path for a model file: the same name with <c>.manifest.json</c> in place of the extension.</summary>
    /// <param name="modelPath">The model path.</param>
    /// <returns>The manifest path (which may not exist).</returns>
    public static string PathFor(string modelPath)
    {
        ArgumentException.ThrowIfNullOrEmpty(modelPath);
        return Path.ChangeExtension(modelPath, ".manifest.json");
    }

    /// <summary>Loads the manifest beside a model, or returns null when there is none.</summary>
    /// <param name="modelPath">The model path.</param>
    /// <returns>The manifest or null.</returns>
    public static ModelManifest? TryLoadFor(string modelPath)
    {
        string path = PathFor(modelPath);
        return File.Exists(path) ? Load(path) : null;
    }

    /// <summary>Loads a manifest file.</summary>
    /// <param name="path">The manifest path.</param>
    /// <returns>The manifest.</returns>
    /// <exception cref="FileNotFoundException">No file at the path.</exception>
    /// <exception cref="InvalidDataException">The file is not valid manifest JSON.</exception>
    public static ModelManifest Load(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        if (!File.Exists(path))
        {
            throw new FileNotFoundException($"Model manifest '{path}' does not exist.", path);
        }

        try
        {
            using FileStream stream = File.OpenRead(path);
            ModelManifest manifest = JsonSerializer.Deserialize<ModelManifest>(stream, s_json)
                ?? throw new InvalidDataException($"Model manifest '{path}' is empty.");
            manifest.Preprocessing?.ToOptions().Validate();
            return manifest;
        }
        catch (JsonException ex)
        {
            throw new InvalidDataException($"Model manifest '{path}' is not valid JSON: {ex.Message}", ex);
        }
        catch (ArgumentException ex)
        {
            throw new InvalidDataException($"Model manifest '{path}' has invalid preprocessing: {ex.Message}", ex);
        }
    }

    /// <summary>Writes the manifest as indented JSON.</summary>
    /// <param name="path">The destination.</param>
    public void Save(string path)
    {
        using FileStream stream = File.Create(path);
        JsonSerializer.Serialize(stream, this, s_json);
    }
}

/// <summary>The preprocessing section of a <see cref="ModelManifest"/>; see <see cref="PreprocessingOptions"/>.</summary>
public sealed class ManifestPreprocessing
{
    /// <summary>Input width (default 32).</summary>
    public int Width { get; set; } = 32;

    /// <summary>Input height (default 32).</summary>
    public int Height { get; set; } = 32;

    /// <summary>Plane order, <c>rgb</c> or <c>bgr</c> (default rgb).</summary>
    public ChannelOrder ChannelOrder { get; set; } = ChannelOrder.Rgb;

    /// <summary>Pixel multiplier (default 1/255; 1 for raw 0..255 pixels).</summary>
    public float Scale { get; set; } = 1f / 255f;

    /// <summary>Per-plane mean (default 0).</summary>
    public IReadOnlyList<float>? Mean { get; set; }

    /// <summary>Per-plane std (default 1).</summary>
    public IReadOnlyList<float>? Std { get; set; }

    /// <summary>The equivalent options.</summary>
    /// <returns>The options.</returns>
    public PreprocessingOptions ToOptions() => new()
    {
        Width = Width,
        Height = Height,
        ChannelOrder = ChannelOrder,
        Scale = Scale,
        Mean = Mean ?? [0f, 0f, 0f],
        Std = Std ?? [1f, 1f, 1f],
    };
}
