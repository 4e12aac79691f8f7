using Microsoft.Extensions.Logging;
using SimClrV2.Sophon.Decode;
using SimClrV2.Sophon.Infer;
using SimClrV2.Sophon.Models;
using SimClrV2.Sophon.Postprocess;
using SimClrV2.Sophon.Preprocess;

namespace SimClrV2.Sophon.Pipeline;

/// <summary>Options shared by every classifier, whatever the engine.</summary>
public class ClassifierOptions
{
    /// <summary>How pixels become network input. Null: the model's manifest, else <see cref="PreprocessingOptions.Cifar10"/>.</summary>
    public PreprocessingOptions? Preprocessing { get; set; }

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
}

/// <summary>Options of classifiers that load a model file, configured by the manifest beside it.</summary>
public abstract class ModelFileClassifierOptions : ClassifierOptions
{
    /// <summary>The model file (.onnx, .bmodel).</summary>
    public string ModelPath { get; set; } = string.Empty;

    /// <summary>The image input's layout. Null: the model's manifest (<c>layout</c>), else detected from the input's shape.</summary>
    public TensorLayout? Layout { get; set; }

    /// <summary>The manifest (default: <c>&lt;model&gt;.manifest.json</c> beside the model, when it exists).</summary>
    public string? ManifestPath { get; set; }

    /// <summary>Validates <see cref="ModelPath"/> and loads the manifest: <see cref="ManifestPath"/>, else the one beside the model, else null.</summary>
    /// <returns>The manifest or null.</returns>
    public ModelManifest? LoadManifest()
    {
        ArgumentException.ThrowIfNullOrEmpty(ModelPath, nameof(ModelPath));
        return ManifestPath is not null ? ModelManifest.Load(ManifestPath) : ModelManifest.TryLoadFor(ModelPath);
    }
}
