using System.Numerics.Tensors;
using BenchmarkDotNet.Attributes;
using SimClrV2.Sophon.Embeddings;

namespace SimClrV2.Sophon.Benchmarks;

/// <summary>
/// One query against 5,000 x 128 support vectors (the CIFAR-10 test set's even half, 10 classes), as
/// `simclrv2 knn` classifies: weighted kNN (k = 200, t = 0.1), nearest class prototype, and the 10
/// nearest neighbours. Random unit vectors: the cost does not depend on the values. The side-by-side
/// numpy figure is benchmarks/reference/knn_numpy.py.
/// </summary>
[MemoryDiagnoser]
public class KnnBenchmarks
{
    private const int Support = 5000;
    private const int Dimension = 128;
    private readonly KnnNeighbor[] _neighbors = new KnnNeighbor[10];
    private KnnClassifier _weighted = null!;
    private KnnClassifier _prototype = null!;
    private float[] _query = [];

    [GlobalSetup]
    public void Setup()
    {
        var random = new Random(11);
        _weighted = new KnnClassifier(Dimension, "projection");
        _prototype = new KnnClassifier(Dimension, "projection") { Mode = KnnMode.Prototype };
        float[] v = new float[Dimension];
        for (int i = 0; i < Support; i++)
        {
            Fill(random, v);
            _weighted.Add(v, $"class{i % 10}");
            _prototype.Add(v, $"class{i % 10}");
        }

        _query = new float[Dimension];
        Fill(random, _query);
        TensorPrimitives.Divide(_query, TensorPrimitives.Norm(_query), _query);
        _prototype.Classify(_query);
    }

    [Benchmark(Baseline = true)]
    public KnnPrediction WeightedK200() => _weighted.Classify(_query);

    [Benchmark]
    public KnnPrediction Prototype() => _prototype.Classify(_query);

    [Benchmark]
    public int Nearest10() => _weighted.Nearest(_query, _neighbors);

    private static void Fill(Random random, float[] v)
    {
        for (int j = 0; j < v.Length; j++)
        {
            v[j] = (float)((random.NextDouble() * 2) - 1);
        }
    }
}
