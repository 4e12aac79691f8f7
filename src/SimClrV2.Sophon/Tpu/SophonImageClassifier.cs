using SimClrV2.Sophon.Models;
using SimClrV2.Sophon.Pipeline;
using SimClrV2.Sophon.Tpu.Interop;

namespace SimClrV2.Sophon.Tpu;

/// <summary>Options of <see cref="SophonImageClassifier.Create"/>: the engine's and the classifier's.</summary>
public sealed class SophonClassifierOptions : ModelFileClassifierOptions
{
    /// <summary>The device (the reference's <c>--dev_id</c>); ignored when <see cref="DeviceIds"/> is set.</summary>
    public int DeviceId { get; set; }

    /// <summary>Several devices: batches are spread across them, results stay in input order.</summary>
    public IReadOnlyList<int>? DeviceIds { get; set; }

    /// <summary>The network to run (default: the bmodel's first).</summary>
    public string? NetworkName { get; set; }

    /// <summary>Where to find libsophon.</summary>
    public SophonLibraryOptions? Library { get; set; }

    /// <summary>Where preprocessing runs: <see cref="PreprocessBackend.Cpu"/> (default), <see cref="PreprocessBackend.Bmcv"/> on the device, or <see cref="PreprocessBackend.DeviceJpeg"/> (JPEG decode on the device too).</summary>
    public PreprocessBackend Preprocess { get; set; } = PreprocessBackend.Cpu;

    /// <summary>With BMCV: preprocess images outside BMCV's limits on the CPU (with a logged warning) instead of failing them (default true).</summary>
    public bool BmcvFallbackToCpu { get; set; } = true;
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

/// <summary>Creates <see cref="IImageClassifier"/>s that run on SOPHON TPUs: the same options, predictions and timings as the CPU classifier.</summary>
public static class SophonImageClassifier
{
    /// <summary>Loads a bmodel on the device(s) and returns a classifier.</summary>
    /// <param name="options">Model, devices and classifier options.</param>
    /// <returns>The classifier; dispose it.</returns>
    /// <exception cref="FileNotFoundException">The bmodel or an explicit manifest does not exist.</exception>
    /// <exception cref="SophonLibraryNotFoundException">libsophon is not installed.</exception>
    /// <exception cref="SophonException">A device, the runtime or the model failed.</exception>
    public static ImageClassifier Create(SophonClassifierOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        ModelManifest? manifest = options.LoadManifest();
        var engine = new SophonEngine(new SophonEngineOptions
        {
            ModelPath = options.ModelPath,
            DeviceIds = options.DeviceIds ?? [options.DeviceId],
            NetworkName = options.NetworkName,
            Layout = options.Layout ?? manifest?.Layout,
            Library = options.Library,
            DeviceInput = options.Preprocess != PreprocessBackend.Cpu,
        });
        return options.Preprocess == PreprocessBackend.Cpu
            ? ImageClassifier.Create(engine, options, manifest)
            : ImageClassifier.Create(engine, options, manifest, p => new BmcvPreprocessor(p, engine, options.BmcvFallbackToCpu, options.LoggerFactory, hardwareJpeg: options.Preprocess == PreprocessBackend.DeviceJpeg));
    }
}
