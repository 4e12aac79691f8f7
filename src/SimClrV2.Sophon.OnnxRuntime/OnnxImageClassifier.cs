using Microsoft.ML.OnnxRuntime;
using SimClrV2.Sophon.Models;
using SimClrV2.Sophon.Pipeline;

namespace SimClrV2.Sophon.OnnxRuntime;

/// <summary>Options of <see cref="OnnxImageClassifier"/>: the engine's and the classifier's.</summary>
public sealed class OnnxClassifierOptions : ModelFileClassifierOptions
{
    /// <summary>The image input's name (default: manifest, then the model's first input).</summary>
    public string? InputName { get; set; }

    /// <summary>The logits output's name (default: manifest, then the model's first output).</summary>
    public string? OutputName { get; set; }

    /// <summary>Batch size for dynamic-batch models (default 4).</summary>
    public int BatchSize { get; set; } = 4;

    /// <summary>ONNX Runtime intra-op threads (0: one per core).</summary>
    public int IntraOpNumThreads { get; set; }

    /// <summary>Whether ONNX Runtime's threads spin between runs (default false: they would take the decode threads' cores); default false.</summary>
    public bool AllowSpinning { get; set; }

    /// <summary>Changes ONNX Runtime's session options before the session is created (execution providers, graph optimisation, threads); called after this library has set its own and before the session is created.</summary>
    public Action<SessionOptions>? ConfigureSession { get; set; }

    /// <summary>The model to load (the default model when none is given) and its manifest.</summary>
    internal (string Name, ReadOnlyMemory<byte> Data, ModelManifest? Manifest) Resolve() => ResolveModel(defaultModel: true);

    /// <summary>The embedding output to fetch with the logits, or null (the core's rule).</summary>
    internal string? EmbeddingFor(ModelManifest? manifest, IReadOnlyCollection<string> outputs, string logits) => ChooseEmbedding(manifest, outputs, logits);

    /// <inheritdoc />
    public override IEnumerable<string> GetValidationErrors()
    {
        foreach (string error in base.GetValidationErrors())
        {
            yield return error;
        }

        if (BatchSize is < 1 or > 1024)
        {
            yield return $"BatchSize is {BatchSize}; use 1..1024 (default 4; a fixed-batch model uses its own).";
        }

        if (IntraOpNumThreads < 0 || IntraOpNumThreads > Environment.ProcessorCount)
        {
            yield return $"IntraOpNumThreads is {IntraOpNumThreads}; use 0 (one per processor) or 1..{Environment.ProcessorCount}.";
        }
    }
}

/// <summary>
/// An <see cref="IImageClassifier"/> on ONNX Runtime (CPU), for machines without a TPU:
/// <c>using var classifier = new OnnxImageClassifier(options);</c>. With no
/// <see cref="ModelFileClassifierOptions.ModelPath"/> and no <see cref="ModelFileClassifierOptions.Model"/>,
/// it runs the default model (<see cref="ClassifierModel.Default"/>, package <c>SimClrV2.Sophon.Models.Cifar10</c>).
/// </summary>
public sealed class OnnxImageClassifier : ImageClassifier
{
    /// <summary>The default model with the default options (its manifest's preprocessing and labels).</summary>
    /// <exception cref="InvalidOperationException">The default model package is not referenced.</exception>
    public OnnxImageClassifier()
        : this(new OnnxClassifierOptions())
    {
    }

    /// <summary>
    /// Loads a model and its manifest. Explicit options win over the manifest, field by field;
    /// without either, preprocessing is the CIFAR-10 convention at the model's input size.
    /// </summary>
    /// <param name="options">Model and options.</param>
    /// <exception cref="FileNotFoundException">The model or an explicit manifest does not exist.</exception>
    /// <exception cref="InvalidDataException">The model or manifest cannot be read.</exception>
    /// <exception cref="InvalidOperationException">No model is given and the default model package is not referenced.</exception>
    public OnnxImageClassifier(OnnxClassifierOptions options)
        : this(new OnnxRuntimeEngine(options), options)
    {
    }

    private OnnxImageClassifier(OnnxRuntimeEngine engine, OnnxClassifierOptions options)
        : base(engine, options, engine.Manifest)
    {
    }

    /// <summary>Loads a model and its manifest and returns a classifier (the same as the constructor).</summary>
    /// <param name="options">Model and options.</param>
    /// <returns>The classifier; dispose it.</returns>
    /// <exception cref="FileNotFoundException">The model or an explicit manifest does not exist.</exception>
    /// <exception cref="InvalidDataException">The model or manifest cannot be read.</exception>
    /// <exception cref="InvalidOperationException">No model is given and the default model package is not referenced.</exception>
    public static OnnxImageClassifier Create(OnnxClassifierOptions options) => new(options);
}
