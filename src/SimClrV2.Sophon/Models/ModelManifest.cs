using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;
using SimClrV2.Sophon.Infer;
using SimClrV2.Sophon.Postprocess;
using SimClrV2.Sophon.Preprocess;

namespace SimClrV2.Sophon.Models;

/// <summary>
/// The small JSON file beside a model that makes it configure itself: tensor names, layout,
/// preprocessing, output kind and class names. For <c>model.onnx</c> it is <c>model.manifest.json</c>;
/// its schema is <c>model-manifest.schema.json</c> in the repository (<see cref="SchemaFileName"/>).
/// </summary>
/// <remarks>
/// Strict: an unknown key (a misspelling) is an error naming it and the known keys, and every value
/// is checked when the file is loaded. One fallback rule, the same whether the preprocessing section
/// is missing or partial: each field left out takes its default, <see cref="PreprocessingOptions.Cifar10"/>'s
/// value (the reference deployment's convention: RGB, scale 1/255, the CIFAR-10 mean and std,
/// stretch, bilinear) at the model's own input size; names, layout and the class count are read from
/// the model; labels default to the class index.
/// </remarks>
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
        Converters =
        {
            new JsonStringEnumConverter<TensorLayout>(JsonNamingPolicy.CamelCase),
            new JsonStringEnumConverter<ChannelOrder>(JsonNamingPolicy.CamelCase),
            new JsonStringEnumConverter<ResizeMode>(JsonNamingPolicy.CamelCase),
            new JsonStringEnumConverter<ResizeInterpolation>(JsonNamingPolicy.CamelCase),
            new JsonStringEnumConverter<OutputKind>(JsonNamingPolicy.CamelCase),
        },

        // Source-generated metadata: no reflection, so the package is trimming- and AOT-safe.
        TypeInfoResolver = ManifestJsonContext.Default,
    };

    private static JsonTypeInfo<ModelManifest> ContractInfo() => (JsonTypeInfo<ModelManifest>)s_json.GetTypeInfo(typeof(ModelManifest));

    // The keys a manifest may hold: the serialised names of the classes' properties.
    private static readonly string[] RootKeys = KeysOf<ModelManifest>();
    private static readonly string[] PreprocessingKeys = KeysOf<PreprocessingOverride>();

    /// <summary>Made by <see cref="Load(string)"/> (and by this library's tests).</summary>
    [JsonConstructor]
    internal ModelManifest()
    {
    }

    /// <summary>The schema's file name in the repository; a manifest may name it in a <c>$schema</c> key.</summary>
    internal const string SchemaFileName = "model-manifest.schema.json";

    /// <summary>The schema reference (<c>$schema</c>) the manifest carries, if any; never interpreted.</summary>
    [JsonPropertyName("$schema")]
    [JsonInclude]
    internal string? Schema { get; set; }

    /// <summary>A display name for the model.</summary>
    [JsonInclude]
    public string? Name { get; internal set; }

    /// <summary>The model file, relative to the manifest.</summary>
    [JsonInclude]
    public string? Model { get; internal set; }

    /// <summary>The model card, relative to the manifest.</summary>
    [JsonInclude]
    public string? Card { get; internal set; }

    /// <summary>The image input tensor's name (default: the model's first input).</summary>
    [JsonInclude]
    public string? InputName { get; internal set; }

    /// <summary>The logits output tensor's name (default: the model's first output).</summary>
    [JsonInclude]
    public string? OutputName { get; internal set; }

    /// <summary>The image input's layout, <c>nchw</c> or <c>nhwc</c> (default: detected from the model's input shape).</summary>
    [JsonInclude]
    public TensorLayout? Layout { get; internal set; }

    /// <summary>How pixels become network input.</summary>
    [JsonInclude]
    public PreprocessingOverride? Preprocessing { get; internal set; }

    /// <summary>
    /// True when the model does <see cref="Preprocessing"/> itself (TPU-MLIR's
    /// <c>--fuse_preprocessing</c>): it takes the raw 0..255 pixels at the preprocessing's size and
    /// channel order, and the host does no arithmetic.
    /// </summary>
    [JsonInclude]
    public bool? FusedPreprocessing { get; internal set; }

    /// <summary>Class names in index order.</summary>
    [JsonInclude]
    public IReadOnlyList<string>? Labels { get; internal set; }

    /// <summary>What the model outputs: <c>logits</c> (default) or <c>probabilities</c> (a model ending in softmax; not softmaxed again).</summary>
    [JsonInclude]
    public OutputKind? OutputKind { get; internal set; }

    /// <summary>Top-1 accuracy in percent on the model's test set, as its card states.</summary>
    [JsonInclude]
    public double? Accuracy { get; internal set; }

    /// <summary>
    /// The model's embedding outputs, by output name: representations the same run computes beside the
    /// logits (SimCLR: <c>h</c>, the encoder's pooled features; <c>projection</c>, the first projection
    /// layer's output). Null or empty: the model has none.
    /// </summary>
    [JsonInclude]
    public IReadOnlyList<string>? Embeddings { get; internal set; }

    /// <summary>The embedding fetched when the options name none (one of <see cref="Embeddings"/>; default: the first).</summary>
    [JsonInclude]
    public string? DefaultEmbedding { get; internal set; }

    /// <summary>
    /// The preprocessing the host applies: the manifest's section over the defaults (field by field),
    /// or, for a model with fused preprocessing, the raw pixels (scale 1, mean 0, std 1) at its size,
    /// channel order and resize.
    /// </summary>
    /// <param name="defaults">What fields the section leaves out take: <see cref="PreprocessingOptions.Cifar10"/> at the model's input size.</param>
    /// <returns>The options.</returns>
    internal PreprocessingOptions HostPreprocessing(PreprocessingOptions defaults)
    {
        PreprocessingOptions options = Preprocessing?.Over(defaults) ?? defaults;
        return FusedPreprocessing == true ? options with { Scale = 1f, Mean = [0f, 0f, 0f], Std = [1f, 1f, 1f] } : options;
    }

    /// <summary>The file (or resource) the manifest was loaded from (null when built in code).</summary>
    [JsonIgnore]
    public string? SourcePath { get; private set; }

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

        return Parse(File.ReadAllBytes(path), path);
    }

    /// <summary>Loads a manifest from a stream (read to its end, left open): an embedded resource, a download.</summary>
    /// <param name="json">The manifest's JSON.</param>
    /// <param name="sourceName">What messages call it (a resource or file name).</param>
    /// <returns>The manifest.</returns>
    /// <exception cref="InvalidDataException">The JSON is not a valid manifest.</exception>
    public static ModelManifest Load(Stream json, string sourceName)
    {
        ArgumentNullException.ThrowIfNull(json);
        ArgumentException.ThrowIfNullOrEmpty(sourceName);
        using var copy = new MemoryStream();
        json.CopyTo(copy);
        return Parse(copy.ToArray(), sourceName);
    }

    private static ModelManifest Parse(byte[] json, string path)
    {
        try
        {
            CheckKeys(json, path);
            ModelManifest manifest = JsonSerializer.Deserialize(json, ContractInfo())
                ?? throw new InvalidDataException($"Model manifest '{path}' is empty (null).");
            manifest.SourcePath = path;
            manifest.Validate();
            return manifest;
        }
        catch (JsonException ex)
        {
            throw new InvalidDataException($"Model manifest '{path}' is not valid: {ex.Message}", ex);
        }
        catch (ArgumentException ex)
        {
            throw new InvalidDataException($"Model manifest '{path}' has an invalid value: {ex.Message}", ex);
        }
    }

    /// <summary>Checks every value that can be checked without the model, and throws naming the field.</summary>
    /// <exception cref="ArgumentException">A value is out of range.</exception>
    internal void Validate()
    {
        if (Layout is { } layout && !Enum.IsDefined(layout))
        {
            throw new ArgumentException($"layout {layout} is unknown; use nchw or nhwc.", nameof(Layout));
        }

        if (OutputKind is { } kind && !Enum.IsDefined(kind))
        {
            throw new ArgumentException($"outputKind {kind} is unknown; use logits or probabilities.", nameof(OutputKind));
        }

        if (LabelRule.Problem(Labels) is { } labels)
        {
            throw new ArgumentException($"labels {labels}.", nameof(Labels));
        }

        if (Embeddings is { } embeddings)
        {
            if (embeddings.Any(string.IsNullOrWhiteSpace))
            {
                throw new ArgumentException("embeddings holds an empty name; list the embedding outputs' names.", nameof(Embeddings));
            }

            if (embeddings.GroupBy(e => e, StringComparer.Ordinal).FirstOrDefault(g => g.Count() > 1) is { } twice)
            {
                throw new ArgumentException($"embeddings names '{twice.Key}' twice.", nameof(Embeddings));
            }

            if (OutputName is { } output && embeddings.Contains(output, StringComparer.Ordinal))
            {
                throw new ArgumentException($"embeddings names '{output}', the logits output (outputName); list only the embedding outputs.", nameof(Embeddings));
            }
        }

        if (DefaultEmbedding is { } chosen && !(Embeddings ?? []).Contains(chosen, StringComparer.Ordinal))
        {
            throw new ArgumentException($"defaultEmbedding '{chosen}' is not one of embeddings ({(Embeddings is { Count: > 0 } e ? string.Join(", ", e.Select(n => $"'{n}'")) : "none listed")}).", nameof(DefaultEmbedding));
        }

        try
        {
            Preprocessing?.Validate();
        }
        catch (ArgumentException ex)
        {
            throw new ArgumentException("preprocessing: " + ex.Message, ex.ParamName, ex);
        }
    }

    /// <summary>
    /// Checks that the class names fit the model's outputs.
    /// </summary>
    /// <param name="classCount">The model's output length.</param>
    /// <exception cref="InvalidDataException">The manifest's label count differs.</exception>
    internal void CheckLabels(int classCount)
    {
        if (LabelRule.CountProblem(Labels, classCount) is { } problem)
        {
            throw new InvalidDataException($"Model manifest{(SourcePath is null ? string.Empty : $" '{SourcePath}'")} {problem}.");
        }
    }

    /// <summary>Refuses keys the manifest does not know (case-insensitively), naming them and the known ones.</summary>
    private static void CheckKeys(byte[] json, string path)
    {
        using var document = JsonDocument.Parse(json, new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true });
        if (document.RootElement.ValueKind != JsonValueKind.Object)
        {
            throw new InvalidDataException($"Model manifest '{path}' must be a JSON object, not {document.RootElement.ValueKind}.");
        }

        CheckObject(document.RootElement, RootKeys, path, null);
        if (document.RootElement.EnumerateObject().FirstOrDefault(p => string.Equals(p.Name, "preprocessing", StringComparison.OrdinalIgnoreCase)) is { Value.ValueKind: JsonValueKind.Object } section)
        {
            CheckObject(section.Value, PreprocessingKeys, path, "preprocessing");
        }
    }

    private static void CheckObject(JsonElement element, string[] known, string path, string? section)
    {
        foreach (JsonProperty property in element.EnumerateObject())
        {
            if (!known.Contains(property.Name, StringComparer.OrdinalIgnoreCase))
            {
                throw new InvalidDataException(
                    $"Model manifest '{path}' has the unknown key '{property.Name}'{(section is null ? string.Empty : $" in '{section}'")}; the known keys are: {string.Join(", ", known)}.");
            }
        }
    }

    private static string[] KeysOf<T>() => [.. s_json.GetTypeInfo(typeof(T)).Properties.Select(p => p.Name)];

    /// <summary>Writes the manifest as indented JSON.</summary>
    /// <param name="path">The destination.</param>
    internal void Save(string path)
    {
        using FileStream stream = File.Create(path);
        JsonSerializer.Serialize(stream, this, ContractInfo());
    }
}

/// <summary>The manifest's JSON contract, generated at compile time (trimming/AOT-safe).</summary>
[JsonSerializable(typeof(ModelManifest))]
internal sealed partial class ManifestJsonContext : JsonSerializerContext;
