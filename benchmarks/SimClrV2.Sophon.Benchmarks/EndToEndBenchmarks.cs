using BenchmarkDotNet.Attributes;
using SimClrV2.Sophon.Decode;
using SimClrV2.Sophon.OnnxRuntime;
using SimClrV2.Sophon.Pipeline;

namespace SimClrV2.Sophon.Benchmarks;

/// <summary>
/// The whole classifier over a fixed set of 256 CIFAR-10 test images (decode, preprocess, batch,
/// infer, postprocess, predictions), per image, on ONNX Runtime with batch 1 and 4.
/// </summary>
[MemoryDiagnoser]
public class EndToEndBenchmarks
{
    private const int Images = 256;
    private IReadOnlyList<ImageInput> _inputs = [];
    private ImageClassifier _classifier = null!;

    [Params(1, 4)]
    public int Batch { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _inputs = BenchmarkData.CifarImages(Images);
        _classifier = OnnxImageClassifier.Create(new OnnxClassifierOptions { ModelPath = BenchmarkData.DefaultModel, BatchSize = Batch });
    }

    [GlobalCleanup]
    public void Cleanup() => _classifier.Dispose();

    [Benchmark(OperationsPerInvoke = Images)]
    public int Classify() => _classifier.Classify(_inputs).Count;
}
