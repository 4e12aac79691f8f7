using Microsoft.Extensions.Logging;
using SimClrV2.Sophon.Diagnostics;
using SimClrV2.Sophon.Models;
using SimClrV2.Sophon.Pipeline;
using SimClrV2.Sophon.Tpu.Interop;

namespace SimClrV2.Sophon.Tpu;

/// <summary>Options of <see cref="SophonImageClassifier"/>: the engine's and the classifier's.</summary>
public sealed class SophonClassifierOptions : ModelFileClassifierOptions
{
    /// <summary>The devices to run on (the reference's <c>--dev_id</c>; default device 0); with several, batches are spread across them and results stay in input order.</summary>
    public IReadOnlyList<int>? DeviceIds { get; set; }

    /// <summary>The network to run (default: the bmodel's first).</summary>
    public string? NetworkName { get; set; }

    /// <summary>Where to find libsophon.</summary>
    public SophonLibraryOptions? Library { get; set; }

    /// <summary>Where preprocessing runs: <see cref="PreprocessBackend.Cpu"/> (default), <see cref="PreprocessBackend.Bmcv"/> on the device, or <see cref="PreprocessBackend.DeviceJpeg"/> (JPEG decode on the device too).</summary>
    public PreprocessBackend Preprocess { get; set; } = PreprocessBackend.Cpu;

    /// <summary>With BMCV: preprocess images outside BMCV's limits on the CPU (with a logged warning) instead of failing them (default true).</summary>
    public bool BmcvFallbackToCpu { get; set; } = true;

    /// <inheritdoc />
    public override IEnumerable<string> GetValidationErrors()
    {
        foreach (string error in base.GetValidationErrors())
        {
            yield return error;
        }

        if (Model is null && string.IsNullOrEmpty(ModelPath))
        {
            yield return "ModelPath is not set; give the .bmodel file (or set Model to a ClassifierModel with the bmodel's bytes).";
        }

        if (DeviceIds is not null && DeviceIdRule.Problem(DeviceIds) is { } ids)
        {
            yield return $"DeviceIds {ids}.";
        }

        if (!Enum.IsDefined(Preprocess))
        {
            yield return $"Preprocess {Preprocess} is unknown; use Cpu, Bmcv or DeviceJpeg.";
        }
    }
}

/// <summary>Where preprocessing runs.</summary>
public enum PreprocessBackend
{
    /// <summary>On the CPU (SIMD), then copied to the device with the batch.</summary>
    Cpu,

    /// <summary>On the device with BMCV (VPP resize/format, convert_to), straight into the input tensor.</summary>
    Bmcv,

    /// <summary>As <see cref="Bmcv"/>, and JPEG inputs are decoded on the device too (the JPU): the host only reads the files.</summary>
    DeviceJpeg,
}

/// <summary>
/// An <see cref="IImageClassifier"/> on SOPHON TPUs (<c>using var classifier = new SophonImageClassifier(options);</c>):
/// the same options, predictions and timings as the CPU classifier.
/// </summary>
public sealed partial class SophonImageClassifier : ImageClassifier
{
    /// <summary>Loads a bmodel on the device(s).</summary>
    /// <param name="options">Model, devices and classifier options.</param>
    /// <exception cref="FileNotFoundException">The bmodel or an explicit manifest does not exist.</exception>
    /// <exception cref="SophonLibraryNotFoundException">libsophon is not installed.</exception>
    /// <exception cref="SophonException">A device, the runtime or the model failed.</exception>
    public SophonImageClassifier(SophonClassifierOptions options)
        : this(Load(options), options)
    {
    }

    private SophonImageClassifier(SophonEngine engine, SophonClassifierOptions options)
        : base(engine, options, engine.Manifest, p => options.Preprocess == PreprocessBackend.Cpu
            ? null
            : new BmcvPreprocessor(p, engine, options.BmcvFallbackToCpu, options.LoggerFactory, hardwareJpeg: options.Preprocess == PreprocessBackend.DeviceJpeg))
    {
    }

    /// <summary>Loads a bmodel on the device(s) and returns a classifier (the same as the constructor).</summary>
    /// <param name="options">Model, devices and classifier options.</param>
    /// <returns>The classifier; dispose it.</returns>
    /// <exception cref="FileNotFoundException">The bmodel or an explicit manifest does not exist.</exception>
    /// <exception cref="SophonLibraryNotFoundException">libsophon is not installed.</exception>
    /// <exception cref="SophonException">A device, the runtime or the model failed.</exception>
    public static SophonImageClassifier Create(SophonClassifierOptions options) => new(options);

    private static SophonEngine Load(SophonClassifierOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var engine = new SophonEngine(options);
        ILogger? logger = options.LoggerFactory?.CreateLogger(typeof(SophonImageClassifier).FullName!);
        if (logger?.IsEnabled(LogLevel.Information) == true)
        {
            string libraries = SophonLibrary.DescribeLoaded();
            LogLibraryLoaded(logger, libraries);
        }

        return engine;
    }

    [LoggerMessage(EventId = SimClrV2EventIds.SophonLibraryLoaded, Level = LogLevel.Information, Message = "libsophon loaded: {Libraries}")]
    private static partial void LogLibraryLoaded(ILogger logger, string libraries);
}
