using System.Diagnostics.CodeAnalysis;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using SimClrV2.Sophon.Decode;
using SimClrV2.Sophon.Diagnostics;
using SimClrV2.Sophon.Infer;
using SimClrV2.Sophon.Models;
using SimClrV2.Sophon.Postprocess;
using SimClrV2.Sophon.Preprocess;

namespace SimClrV2.Sophon.Pipeline;

/// <summary>
/// Options shared by every classifier, whatever the engine; each engine's options type derives from
/// <see cref="ModelFileClassifierOptions"/> and adds only what that engine knows. Bound from
/// configuration by the engine packages' <c>Add...ImageClassifier(section)</c>.
/// </summary>
[DynamicallyAccessedMembers(DynamicallyAccessedMemberTypes.PublicProperties)]
public class ClassifierOptions
{
    /// <summary>
    /// Preprocessing fields to change, layered field by field (see <see cref="PreprocessingOverride"/>):
    /// the fields given here over the model's manifest over <see cref="PreprocessingOptions.Cifar10"/>
    /// at the model's input size. Null: the manifest's, else the CIFAR-10 convention. A preset gives
    /// every field: <c>Preprocessing = PreprocessingOverride.UnitRange</c>.
    /// </summary>
    public PreprocessingOverride? Preprocessing { get; set; }

    /// <summary>Class names in index order. Null: the model's manifest, else the class index as text.</summary>
    public IReadOnlyList<string>? Labels { get; set; }

    /// <summary>Whether the model outputs logits (softmaxed here) or probabilities. Null: the model's manifest (<c>outputKind</c>), else logits.</summary>
    public OutputKind? OutputKind { get; set; }

    /// <summary>How many of the most probable classes each prediction lists (1..number of classes; default 5, capped at the class count).</summary>
    public int TopK { get; set; } = 5;

    /// <summary>Limits on encoded images (pixels claimed, bytes); null: <see cref="DecodeOptions.Default"/>.</summary>
    public DecodeOptions? Decode { get; set; }

    /// <summary>Batches prepared ahead of inference (decode and preprocess overlap inference); default 2.</summary>
    public int PrefetchBatches { get; set; } = 2;

    /// <summary>
    /// Threads that decode inputs ahead of preprocessing, in input order (0, the default: one per
    /// processor; 1: decode on the producer itself). At most this many decoded images wait at once.
    /// </summary>
    public int DecodeThreads { get; set; }

    /// <summary>Where the classifier logs (configuration, per-input errors). Null: nothing is logged.</summary>
    public ILoggerFactory? LoggerFactory { get; set; }

    /// <summary>
    /// The embedding output fetched in the same run as the logits (one of the manifest's
    /// <see cref="ModelManifest.Embeddings"/>, or any other [N, D] float output of the model), attached
    /// to each prediction L2-normalised (<see cref="Results.Prediction.Embedding"/>) and returned by
    /// <c>Embed</c>. Null (default): the manifest's <see cref="ModelManifest.DefaultEmbedding"/>, or
    /// none when the model lists none; <c>"none"</c>: none.
    /// </summary>
    public string? Embedding { get; set; }

    /// <summary>
    /// A kNN head used instead of the network's linear head (few-shot classes without retraining):
    /// each prediction's class, label and score come from it, on the embedding it was built from
    /// (fetched in the same run), and carry <see cref="Results.Prediction.Similarity"/>, the best
    /// similarity to its support set (an out-of-distribution score). Null (default): the linear head.
    /// </summary>
    public Embeddings.KnnClassifier? KnnHead { get; set; }

    /// <summary>
    /// Checks every option that can be checked before a model is loaded, without throwing: one
    /// message per wrong option, each starting with the option's name (e.g. <c>TopK is 0; ...</c>).
    /// The dependency-injection registrations run it at start (<c>ValidateOnStart</c>).
    /// </summary>
    /// <returns>The problems; empty when the options are valid.</returns>
    public virtual IEnumerable<string> GetValidationErrors()
    {
        if (TopK < 1)
        {
            yield return $"TopK is {TopK}; list at least 1 class per prediction (default 5).";
        }

        if (PrefetchBatches < 1)
        {
            yield return $"PrefetchBatches is {PrefetchBatches}; prepare at least 1 batch ahead (default 2).";
        }

        if (DecodeThreads < 0)
        {
            yield return $"DecodeThreads is {DecodeThreads}; use 0 (one per processor) or a positive count.";
        }

        if (LabelRule.Problem(Labels) is { } labels)
        {
            yield return $"Labels {labels} (or be left out: the manifest's).";
        }

        if (OutputKind is { } kind && !Enum.IsDefined(kind))
        {
            yield return $"OutputKind {kind} is unknown; use Logits or Probabilities.";
        }

        if (Embedding is { } embedding && string.IsNullOrWhiteSpace(embedding))
        {
            yield return "Embedding is blank; name an embedding output (e.g. projection), \"none\", or leave it null for the manifest's default.";
        }

        foreach (string error in Check("Preprocessing", Preprocessing is null ? null : () => Preprocessing.Validate())
            .Concat(Check("Decode", Decode is null ? null : () => Decode.Validate())))
        {
            yield return error;
        }
    }

    private static IEnumerable<string> Check(string option, Action? validate)
    {
        if (validate is null)
        {
            yield break;
        }

        string? error = null;
        try
        {
            validate();
        }
        catch (ArgumentException ex)
        {
            error = $"{option}: {ex.Message}";
        }

        if (error is not null)
        {
            yield return error;
        }
    }
}

/// <summary>Options of classifiers that load a model (a file, or one in memory), configured by its manifest.</summary>
public abstract class ModelFileClassifierOptions : ClassifierOptions
{
    /// <summary>The model file (.onnx, .bmodel); its <c>&lt;name&gt;.manifest.json</c> beside it configures the classifier. Leave empty to use <see cref="Model"/>.</summary>
    public string ModelPath { get; set; } = string.Empty;

    /// <summary>
    /// The model in memory, with its manifest: <see cref="ClassifierModel.FromBytes"/>,
    /// <see cref="ClassifierModel.FromStream"/>, <see cref="ClassifierModel.FromResources"/> or
    /// <see cref="ClassifierModel.Default"/>. Set this or <see cref="ModelPath"/>, not both; with
    /// neither, the ONNX Runtime classifier uses <see cref="ClassifierModel.Default"/>.
    /// </summary>
    public ClassifierModel? Model { get; set; }

    /// <summary>The image input's layout. Null: the model's manifest (<c>layout</c>), else detected from the input's shape.</summary>
    public TensorLayout? Layout { get; set; }

    /// <summary>The manifest (default: <c>&lt;model&gt;.manifest.json</c> beside the model, when it exists, or <see cref="Model"/>'s own).</summary>
    public string? ManifestPath { get; set; }

    /// <inheritdoc />
    public override IEnumerable<string> GetValidationErrors()
    {
        foreach (string error in base.GetValidationErrors())
        {
            yield return error;
        }

        if (BothSet() is { } both)
        {
            yield return both;
        }
        else if (!string.IsNullOrEmpty(ModelPath) && !File.Exists(ModelPath))
        {
            yield return Directory.Exists(ModelPath)
                ? $"ModelPath '{ModelPath}' is a folder; give the path of the model file inside it."
                : $"ModelPath '{ModelPath}' does not exist (relative paths start at '{Environment.CurrentDirectory}').";
        }

        if (ManifestPath is not null && !File.Exists(ManifestPath))
        {
            yield return $"ManifestPath '{ManifestPath}' does not exist; leave it out to use the <model name>.manifest.json beside the model.";
        }

        if (Layout is { } layout && !Enum.IsDefined(layout))
        {
            yield return $"Layout {layout} is unknown; use Nchw or Nhwc (or leave it out: detected from the model).";
        }
    }

    /// <summary>
    /// The embedding output an engine fetches with the logits: <see cref="ClassifierOptions.Embedding"/>,
    /// else the manifest's <see cref="ModelManifest.DefaultEmbedding"/> (else its first
    /// <see cref="ModelManifest.Embeddings"/>); null when none is wanted or the model lists none.
    /// Engine packages' engines call it with their model's outputs.
    /// </summary>
    /// <param name="manifest">The model's manifest, or null.</param>
    /// <param name="outputs">The model's output names.</param>
    /// <param name="logits">The logits output's name.</param>
    /// <returns>The embedding output's name, or null.</returns>
    /// <exception cref="InvalidDataException">The chosen embedding is not an output of the model, or is the logits output.</exception>
    protected string? ChooseEmbedding(ModelManifest? manifest, IReadOnlyCollection<string> outputs, string logits) =>
        EmbeddingRule.Choose(Embedding ?? KnnHead?.EmbeddingName, manifest, outputs, logits);

    /// <summary>
    /// The model to load: <see cref="ModelPath"/> or <see cref="Model"/> (<see cref="ClassifierModel.Default"/>
    /// when <paramref name="defaultModel"/> and neither is set), and its manifest
    /// (<see cref="ManifestPath"/>, the model's own, or the file beside the model). Logs which
    /// manifest is used (event 1001) or, as a warning, that
    /// there is none (event 1002). Engine packages' options call
    /// it for their classifiers.
    /// </summary>
    /// <param name="defaultModel">Whether the default model stands in when no model is given (it is an ONNX model).</param>
    /// <returns>The model's name (its path, or the in-memory model's name), its bytes (empty for a file: load the path) and its manifest.</returns>
    /// <exception cref="ArgumentException">No model, or both a path and a model, are given.</exception>
    /// <exception cref="InvalidOperationException">The default model is needed and its package is not referenced.</exception>
    protected (string Name, ReadOnlyMemory<byte> Data, ModelManifest? Manifest) ResolveModel(bool defaultModel)
    {
        ResolvedModel model = Resolve(defaultModel);
        return (model.Name, model.InMemory?.Data ?? default, model.Manifest);
    }

    /// <summary>The model and its manifest (see <see cref="ResolveModel"/>).</summary>
    internal ResolvedModel Resolve(bool defaultModel)
    {
        if (BothSet() is { } both)
        {
            throw new ArgumentException(both);
        }

        ClassifierModel? model = Model ?? (string.IsNullOrEmpty(ModelPath) && defaultModel ? ClassifierModel.Default : null);
        if (model is null && string.IsNullOrEmpty(ModelPath))
        {
            throw new ArgumentException("No model: set ModelPath to the model file (its <name>.manifest.json beside it), or Model to a ClassifierModel (FromBytes, FromStream, FromResources).");
        }

        ModelManifest? manifest = ManifestFor(model);
        var resolved = new ResolvedModel(model is null ? ModelPath : null, model, manifest);
        ILogger logger = LoggerFactory?.CreateLogger<ModelManifest>() ?? NullLogger<ModelManifest>.Instance;
        if (manifest is not null)
        {
            ModelLog.ManifestFound(logger, resolved.Name, manifest.SourcePath ?? "(built in code)");
        }
        else
        {
            ModelLog.ManifestMissing(logger, resolved.Name, model is null ? ModelManifest.PathFor(ModelPath) : "(none given with the model)");
        }

        return resolved;
    }

    /// <summary>The one manifest rule: <see cref="ManifestPath"/>, else the in-memory model's own, else the file beside <see cref="ModelPath"/>.</summary>
    private ModelManifest? ManifestFor(ClassifierModel? model) =>
        ManifestPath is not null ? ModelManifest.Load(ManifestPath)
        : model is not null ? model.Manifest
        : ModelManifest.TryLoadFor(ModelPath);

    private string? BothSet() =>
        Model is not null && !string.IsNullOrEmpty(ModelPath) ? $"ModelPath ('{ModelPath}') and Model ({Model.Name}) are both set; set one of them." : null;
}

/// <summary>The model a classifier loads: a file (<see cref="Path"/>) or one in memory (<see cref="InMemory"/>), and its manifest.</summary>
/// <param name="Path">The model file, or null when the model is in memory.</param>
/// <param name="InMemory">The model in memory, or null when it is a file.</param>
/// <param name="Manifest">Its manifest, or null.</param>
internal sealed record ResolvedModel(string? Path, ClassifierModel? InMemory, ModelManifest? Manifest)
{
    /// <summary>The model's name in messages and result file names: the path, or the in-memory model's name.</summary>
    public string Name => Path ?? InMemory?.Name ?? "memory";
}

/// <summary>Log messages about models and their manifests.</summary>
internal static partial class ModelLog
{
    [LoggerMessage(EventId = SimClrV2EventIds.ManifestFound, Level = LogLevel.Information, Message = "Model '{Model}' is configured by its manifest '{Manifest}'")]
    public static partial void ManifestFound(ILogger logger, string model, string manifest);

    [LoggerMessage(EventId = SimClrV2EventIds.ManifestMissing, Level = LogLevel.Warning, Message = "Model '{Model}' has no manifest (looked for '{Manifest}'): its classes are reported as numbers 0..N-1 and its preprocessing is the CIFAR-10 convention unless the options say otherwise; put <model name>.manifest.json beside the model or set ManifestPath")]
    public static partial void ManifestMissing(ILogger logger, string model, string manifest);
}
