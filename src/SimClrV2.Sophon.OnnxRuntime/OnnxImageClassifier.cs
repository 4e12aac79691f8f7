using SimClrV2.Sophon.Models;
using SimClrV2.Sophon.Pipeline;

namespace SimClrV2.Sophon.OnnxRuntime;

/// <summary>Options of <see cref="OnnxImageClassifier.Create"/>: the engine's and the classifier's.</summary>
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

    /// <summary>Whether ONNX Runtime's threads spin between runs (default false: they would take the decode threads' cores); see <see cref="OnnxEngineOptions.AllowSpinning"/>.</summary>
    public bool AllowSpinning { get; set; }
}

/// <summary>Creates <see cref="IImageClassifier"/>s that run on ONNX Runtime (CPU), for machines without a TPU.</summary>
public static class OnnxImageClassifier
{
    /// <summary>
    /// Loads a model and its manifest and returns a classifier. Explicit options win over the manifest;
    /// without either, preprocessing is the CIFAR-10 convention at the model's input size.
    /// </summary>
    /// <param name="options">Model path and options.</param>
    /// <returns>The classifier; dispose it.</returns>
    /// <exception cref="FileNotFoundException">The model or an explicit manifest does not exist.</exception>
    /// <exception cref="InvalidDataException">The model or manifest cannot be read.</exception>
    public static ImageClassifier Create(OnnxClassifierOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        ModelManifest? manifest = options.LoadManifest();
        var engine = new OnnxRuntimeEngine(new OnnxEngineOptions
        {
            ModelPath = options.ModelPath,
            InputName = options.InputName ?? manifest?.InputName,
            OutputName = options.OutputName ?? manifest?.OutputName,
            Layout = options.Layout ?? manifest?.Layout,
            BatchSize = options.BatchSize,
            IntraOpNumThreads = options.IntraOpNumThreads,
            AllowSpinning = options.AllowSpinning,
        });
        return ImageClassifier.Create(engine, options, manifest);
    }
}
