using BenchmarkDotNet.Attributes;
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
public class BmcvPreprocessBenchmarks : SophonBenchmarkBase
{
    private const int Images = 4;
    private CpuPreprocessor _cpu = null!;
    private BmcvPreprocessor _bmcv = null!;
    private DecodedImage[] _images = [];

    [Params("32x32", "64x48")]
    public string Size { get; set; } = "32x32";

    [GlobalSetup]
    public void Setup()
    {
        CreateEngine("fp32", 4, deviceInput: true);
        _cpu = new CpuPreprocessor(PreprocessingOptions.Cifar10, Engine.Input);
        _bmcv = new BmcvPreprocessor(PreprocessingOptions.Cifar10, Engine, fallbackToCpu: false);
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

    [Benchmark(Baseline = true, OperationsPerInvoke = Images)]
    public void Cpu()
    {
        for (int i = 0; i < Images; i++)
        {
            _cpu.Process(_images[i], RentedBatch, i);
        }
    }

    [Benchmark(OperationsPerInvoke = Images)]
    public void Bmcv()
    {
        for (int i = 0; i < Images; i++)
        {
            _bmcv.Process(_images[i], RentedBatch, i);
        }
    }
}
