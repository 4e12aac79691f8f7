using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using SimClrV2.Sophon.Decode;
using SimClrV2.Sophon.Infer;
using SimClrV2.Sophon.Models;
using SimClrV2.Sophon.Postprocess;
using SimClrV2.Sophon.Preprocess;

namespace SimClrV2.Sophon.Pipeline;

/// <summary>
/// A classifier's configuration, resolved once from the engine's input, the model's manifest and
/// the caller's options; every stage reads it and none re-derives it. Preprocessing is the options'
/// fields over the manifest's section over the CIFAR-10 convention at the engine's input size,
/// field by field; labels and output kind are the options', else the manifest's.
/// </summary>
internal sealed record ClassifierSettings
{
    public required PreprocessingOptions Preprocessing { get; init; }

    public required Postprocessor Postprocessor { get; init; }

    /// <summary>The kNN head used instead of the linear head, or null.</summary>
    public Embeddings.KnnClassifier? KnnHead { get; init; }

    public required DecodeOptions Decode { get; init; }

    public required int DecodeThreads { get; init; }

    public required int PrefetchBatches { get; init; }

    public required ILogger Logger { get; init; }

    /// <summary>Resolves the options against the engine and the manifest (null: none).</summary>
    /// <exception cref="ArgumentException">An option is out of range, or the labels disagree with the model's outputs.</exception>
    public static ClassifierSettings Resolve(IInferenceEngine engine, ClassifierOptions options, ModelManifest? manifest)
    {
        ArgumentNullException.ThrowIfNull(engine);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentOutOfRangeException.ThrowIfLessThan(options.TopK, 1, nameof(options.TopK));
        ArgumentOutOfRangeException.ThrowIfLessThan(options.PrefetchBatches, 1, nameof(options.PrefetchBatches));
        ArgumentOutOfRangeException.ThrowIfNegative(options.DecodeThreads, nameof(options.DecodeThreads));
        InferenceBatch.EnsureFits(engine.Input, engine.MaxBatchSize, engine.OutputLength);
        PreprocessingOptions defaults = PreprocessingOptions.Cifar10 with { Width = engine.Input.Width, Height = engine.Input.Height };
        PreprocessingOptions fromModel = manifest?.HostPreprocessing(defaults) ?? defaults;
        if (options.Labels is null)
        {
            manifest?.CheckLabels(engine.OutputLength);
        }

        if (options.KnnHead is { } knn)
        {
            EmbeddingRule.CheckHead(knn, engine.EmbeddingName, engine.EmbeddingLength);
        }

        DecodeOptions decode = options.Decode?.Clone() ?? DecodeOptions.Default;
        decode.TargetWidth = engine.Input.Width;
        decode.TargetHeight = engine.Input.Height;
        decode.Validate();
        return new ClassifierSettings
        {
            Preprocessing = options.Preprocessing?.Over(fromModel) ?? fromModel,
            Postprocessor = new Postprocessor(engine.OutputLength, options.Labels ?? manifest?.Labels, options.TopK, options.OutputKind ?? manifest?.OutputKind ?? OutputKind.Logits),
            KnnHead = options.KnnHead,
            Decode = decode,
            DecodeThreads = options.DecodeThreads == 0 ? Environment.ProcessorCount : options.DecodeThreads,
            PrefetchBatches = options.PrefetchBatches,
            Logger = options.LoggerFactory?.CreateLogger<ImageClassifier>() ?? NullLogger<ImageClassifier>.Instance,
        };
    }
}
