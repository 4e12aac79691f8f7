using BenchmarkDotNet.Attributes;
using SimClrV2.Cli;
using SimClrV2.Sophon.Decode;
using SimClrV2.Sophon.Infer;
using SimClrV2.Sophon.Preprocess;
using SimClrV2.Sophon.Tpu;

namespace SimClrV2.Sophon.Benchmarks;

/// <summary>
/// Preprocess stage per image, both paths into an FP32 batch-4 network's input: CPU (SIMD, then
/// the batch is copied to the device) vs BMCV (upload, VPP, convert_to into the device tensor).
/// Here BMCV runs on the libsophon emulator (C on the CPU); on a board the same suite measures the
/// VPP hardware (SIMCLRV2_SOPHON_LIB_DIR, SIMCLRV2_BMODEL_DIR).
/// </summary>
[MemoryDiagnoser]
public class BmcvPreprocessBenchmarks
{
    private const int Images = 4;
    private string? _folder;
    private SophonEngine _engine = null!;
    private InferenceBatch _batch = null!;
    private CpuPreprocessor _cpu = null!;
    private BmcvPreprocessor _bmcv = null!;
    private DecodedImage[] _images = [];

    [Params("32x32", "64x48")]
    public string Size { get; set; } = "32x32";

    [GlobalSetup]
    public void Setup()
    {
        string folder = BenchmarkData.BModelFolder(out _folder);

        _engine = new SophonEngine(new SophonEngineOptions { ModelPath = Path.Combine(folder, EmulatedModels.FileName("fp32", 4)), DeviceInput = true });
        _batch = _engine.RentBatch();
        _cpu = new CpuPreprocessor(PreprocessingOptions.Cifar10, _engine.Input);
        _bmcv = new BmcvPreprocessor(PreprocessingOptions.Cifar10, _engine, fallbackToCpu: false);
        int width = int.Parse(Size.Split('x')[0], System.Globalization.CultureInfo.InvariantCulture);
        int height = int.Parse(Size.Split('x')[1], System.Globalization.CultureInfo.InvariantCulture);
        var random = new Random(3);
        _images = Enumerable.Range(0, Images).Select(_ =>
        {
            var pixels = new byte[width * height * 3];
            random.NextBytes(pixels);
            return DecodedImage.FromPixels(pixels, width, height, PixelLayout.Interleaved);
        }).ToArray();
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _engine.ReturnBatch(_batch);
        _engine.Dispose();
        if (_folder is not null)
        {
            Directory.Delete(_folder, recursive: true);
        }
    }

    [Benchmark(Baseline = true, OperationsPerInvoke = Images)]
    public void Cpu()
    {
        for (int i = 0; i < Images; i++)
        {
            _cpu.Process(_images[i], _batch, i);
        }
    }

    [Benchmark(OperationsPerInvoke = Images)]
    public void Bmcv()
    {
        for (int i = 0; i < Images; i++)
        {
            _bmcv.Process(_images[i], _batch, i);
        }
    }
}
