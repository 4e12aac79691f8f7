using BenchmarkDotNet.Attributes;
using SimClrV2.Sophon.TestSupport;
using SimClrV2.Sophon.Decode;
using SimClrV2.Sophon.OnnxRuntime;
using SimClrV2.Sophon.Pipeline;

namespace SimClrV2.Sophon.Benchmarks;

/// <summary>
/// Camera-like photos (640x480 JPEG q90, random crops of the shipped photos, fixed seed, made at
/// setup): decoding one at full size with ImageSharp (the decoder before libturbojpeg) and with the
/// system's libturbojpeg, and reduced (the default for a 32x32 input), and the whole classifier per
/// photo on ONNX Runtime: the path before the photo work (one decode thread, ImageSharp's full
/// decode, spinning runtime threads), then decode threads with full and with reduced decode.
/// </summary>
[MemoryDiagnoser]
public class PhotoBenchmarks
{
    private const int Photos = 96;
    private string _folder = string.Empty;
    private IReadOnlyList<ImageInput> _inputs = [];
    private readonly Dictionary<string, ImageClassifier> _classifiers = [];
    private readonly DecodeOptions _full = new DecodeOptions { ReducedJpegDecode = false };
    private readonly DecodeOptions _imageSharp = DecodePaths.ImageSharpOnly(DecodeOptions.Default);
    private readonly DecodeOptions _reduced = new DecodeOptions { TargetWidth = 32, TargetHeight = 32 };

    [GlobalSetup]
    public void Setup()
    {
        _folder = Directory.CreateTempSubdirectory("simclrv2-photo-bench-").FullName;
        _inputs = PhotoSet.Write(BenchmarkData.SampleImages, _folder, Photos).Select(f => ImageInput.FromFile(f)).ToList();
        OnnxClassifierOptions Options(int threads, bool reduced, bool spin) => new()
        {
            ModelPath = BenchmarkData.DefaultModel,
            DecodeThreads = threads,
            Decode = reduced ? DecodeOptions.Default : _full,
            AllowSpinning = spin,
        };
        OnnxClassifierOptions old = Options(1, reduced: false, spin: true);
        old.Decode = _imageSharp;
        _classifiers["old"] = OnnxImageClassifier.Create(old);
        _classifiers["full"] = OnnxImageClassifier.Create(Options(0, reduced: false, spin: false));
        _classifiers["reduced"] = OnnxImageClassifier.Create(Options(0, reduced: true, spin: false));
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        foreach (ImageClassifier classifier in _classifiers.Values)
        {
            classifier.Dispose();
        }

        Directory.Delete(_folder, recursive: true);
    }

    [Benchmark(OperationsPerInvoke = Photos)]
    public int DecodeFullImageSharp() => DecodeAll(_imageSharp);

    [Benchmark(OperationsPerInvoke = Photos)]
    public int DecodeFull() => DecodeAll(_full);

    [Benchmark(OperationsPerInvoke = Photos)]
    public int DecodeReduced() => DecodeAll(_reduced);

    [Benchmark(Baseline = true, OperationsPerInvoke = Photos)]
    public int ClassifyOldPath() => _classifiers["old"].Classify(_inputs).Count;

    [Benchmark(OperationsPerInvoke = Photos)]
    public int ClassifyDecodeThreadsFullDecode() => _classifiers["full"].Classify(_inputs).Count;

    [Benchmark(OperationsPerInvoke = Photos)]
    public int ClassifyDecodeThreadsReducedDecode() => _classifiers["reduced"].Classify(_inputs).Count;

    private int DecodeAll(DecodeOptions options)
    {
        int pixels = 0;
        foreach (ImageInput input in _inputs)
        {
            using DecodedImage image = input.Decode(options);
            pixels += image.Width;
        }

        return pixels;
    }
}
