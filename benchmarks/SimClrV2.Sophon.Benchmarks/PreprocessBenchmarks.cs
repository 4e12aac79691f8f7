using System.Runtime.InteropServices;
using BenchmarkDotNet.Attributes;
using SimClrV2.Sophon.Decode;
using SimClrV2.Sophon.Infer;
using SimClrV2.Sophon.Preprocess;

namespace SimClrV2.Sophon.Benchmarks;

/// <summary>
/// Preprocess stage, per image: 32x32 RGB pixels to the NCHW input tensor of a batch. The baseline
/// is the reference formula as a plain scalar loop; Simd is the library's kernel. Each invocation
/// fills 4 images (four batches of 1, or one batch of 4), so figures are per image.
/// </summary>
[MemoryDiagnoser]
[GroupBenchmarksBy(BenchmarkDotNet.Configs.BenchmarkLogicalGroupRule.ByParams)]
public class PreprocessBenchmarks
{
    private const int Images = 4;
    private const int Pixels = 32 * 32;
    private static readonly float[] Mean = [0.4914f, 0.4822f, 0.4465f];
    private static readonly float[] Std = [0.2023f, 0.1994f, 0.2010f];

    private byte[][] _images = [];
    private byte[] _tensor = [];
    private CpuPreprocessor _preprocessor = null!;

    [Params(1, 4)]
    public int Batch { get; set; }

    [Params(TensorElementType.Float32, TensorElementType.Int8)]
    public TensorElementType Output { get; set; }

    [Params(PixelLayout.Interleaved, PixelLayout.Planar)]
    public PixelLayout Source { get; set; }

    /// <summary>The tensor's layout: NCHW planes or NHWC interleaved (the scalar baseline always writes NCHW).</summary>
    [Params(TensorLayout.Nchw, TensorLayout.Nhwc)]
    public TensorLayout Layout { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        var random = new Random(42);
        _images = Enumerable.Range(0, Images).Select(_ =>
        {
            var b = new byte[Pixels * 3];
            random.NextBytes(b);
            return b;
        }).ToArray();
        var input = new EngineInput("input", Output, 3, 32, 32, Output == TensorElementType.Int8 ? 40f : 1f, layout: Layout);
        _tensor = new byte[Batch * input.BytesPerImage];
        _preprocessor = new CpuPreprocessor(PreprocessingOptions.Cifar10, input);
    }

    [Benchmark(Baseline = true, OperationsPerInvoke = Images)]
    public void ScalarLoop()
    {
        int size = _tensor.Length / Batch;
        for (int i = 0; i < Images; i++)
        {
            Span<byte> slot = _tensor.AsSpan((i % Batch) * size, size);
            byte[] src = _images[i];
            for (int c = 0; c < 3; c++)
            {
                for (int p = 0; p < Pixels; p++)
                {
                    byte value = Source == PixelLayout.Interleaved ? src[(p * 3) + c] : src[(c * Pixels) + p];
                    float x = ((value / 255f) - Mean[c]) / Std[c];
                    if (Output == TensorElementType.Float32)
                    {
                        MemoryMarshal.Cast<byte, float>(slot)[(c * Pixels) + p] = x;
                    }
                    else
                    {
                        slot[(c * Pixels) + p] = (byte)(sbyte)Math.Clamp(MathF.Round(x * 40f), -127f, 127f);
                    }
                }
            }
        }
    }

    [Benchmark(OperationsPerInvoke = Images)]
    public void Simd()
    {
        int size = _tensor.Length / Batch;
        for (int i = 0; i < Images; i++)
        {
            _preprocessor.Normalize(_images[i], Source, _tensor.AsSpan((i % Batch) * size, size));
        }
    }
}
