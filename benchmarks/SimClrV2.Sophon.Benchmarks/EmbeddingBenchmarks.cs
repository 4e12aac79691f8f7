using BenchmarkDotNet.Attributes;
using SimClrV2.Sophon.Decode;
using SimClrV2.Sophon.OnnxRuntime;
using SimClrV2.Sophon.Pipeline;

namespace SimClrV2.Sophon.Benchmarks;

/// <summary>
/// What the embedding costs: the whole classifier over 256 CIFAR-10 test images (batch 4, ONNX
/// Runtime), per image, without an embedding (<c>Embedding = "none"</c>) and with the default
/// model's projection embedding fetched by the same run and attached to each prediction.
/// </summary>
[MemoryDiagnoser]
public class EmbeddingBenchmarks
{
    private const int Images = 256;
    private IReadOnlyList<ImageInput> _inputs = [];
    private ImageClassifier _plain = null!;
    private ImageClassifier _embedding = null!;

    [GlobalSetup]
    public void Setup()
    {
        _inputs = BenchmarkData.CifarImages(Images);
        _plain = OnnxImageClassifier.Create(new OnnxClassifierOptions { ModelPath = BenchmarkData.DefaultModel, Embedding = "none" });
        _embedding = OnnxImageClassifier.Create(new OnnxClassifierOptions { ModelPath = BenchmarkData.DefaultModel });
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _plain.Dispose();
        _embedding.Dispose();
    }

    [Benchmark(Baseline = true, OperationsPerInvoke = Images)]
    public int ClassifyOnly() => _plain.Classify(_inputs).Count;

    [Benchmark(OperationsPerInvoke = Images)]
    public int ClassifyAndEmbed() => _embedding.Classify(_inputs).Count;
}
