using System.Numerics.Tensors;
using BenchmarkDotNet.Attributes;
using SimClrV2.Sophon.Embeddings;
using SimClrV2.Sophon.OnnxRuntime;
using SimClrV2.Sophon.Pipeline;

namespace SimClrV2.Sophon.Benchmarks;

/// <summary>
/// One query against 5,000 x 128 support vectors (the CIFAR-10 test set's even half, 10 classes), as
/// `simclrv2 knn` classifies: weighted kNN (k = 200, t = 0.1), nearest class prototype, and the 10
/// nearest neighbours. The search rescores in float every row whose 8-bit approximation is within its
/// error bound of the k-th, so the cost depends a little on how the vectors lie: <c>cifar</c> is the
/// real thing (the default model's projection embeddings of the test set, made in the set-up: even
/// positions the support, odd positions the queries), <c>uniform</c> random unit vectors,
/// <c>clustered</c> vectors around ten class centres after a ReLU. Each call takes the next of 64
/// queries. The side-by-side numpy figure is benchmarks/reference/knn_numpy.py.
/// </summary>
[MemoryDiagnoser]
public class KnnBenchmarks
{
    private const int Support = 5000;
    private const int Dimension = 128;
    private const int Queries = 64;
    private readonly KnnNeighbor[] _neighbors = new KnnNeighbor[10];
    private KnnClassifier _weighted = null!;
    private KnnClassifier _prototype = null!;
    private float[][] _queries = [];
    private int _next;

    /// <summary>How the support vectors lie.</summary>
    [Params("cifar", "uniform", "clustered")]
    public string Vectors { get; set; } = "cifar";

    [GlobalSetup]
    public void Setup()
    {
        _weighted = new KnnClassifier(Dimension, "projection");
        _prototype = new KnnClassifier(Dimension, "projection") { Mode = KnnMode.Prototype };
        (float[] Vector, int Label)[] rows = Vectors == "cifar" ? Cifar() : Synthetic(Vectors == "clustered");
        for (int i = 0; i < Support; i++)
        {
            _weighted.Add(rows[2 * i].Vector, $"class{rows[2 * i].Label}");
            _prototype.Add(rows[2 * i].Vector, $"class{rows[2 * i].Label}");
        }

        _queries = [.. Enumerable.Range(0, Queries).Select(i => rows[(2 * i) + 1].Vector)];
        foreach (float[] q in _queries)
        {
            TensorPrimitives.Divide(q, TensorPrimitives.Norm(q), q);
        }

        _prototype.Classify(_queries[0]);
    }

    [Benchmark(Baseline = true)]
    public KnnPrediction WeightedK200() => _weighted.Classify(Next());

    [Benchmark]
    public KnnPrediction Prototype() => _prototype.Classify(Next());

    [Benchmark]
    public int Nearest10() => _weighted.Nearest(Next(), _neighbors);

    private float[] Next() => _queries[_next++ & (Queries - 1)];

    /// <summary>The test set's projection embeddings, in the pickle's order, with their labels.</summary>
    private static (float[] Vector, int Label)[] Cifar()
    {
        using ImageClassifier classifier = OnnxImageClassifier.Create(new OnnxClassifierOptions { ModelPath = BenchmarkData.DefaultModel });
        return [.. classifier.Embed(BenchmarkData.CifarImages(2 * Support)).Select(e => (e.Vector.ToArray(), e.ExpectedClassIndex ?? -1))];
    }

    private static (float[] Vector, int Label)[] Synthetic(bool clustered)
    {
        var random = new Random(11);
        float[][] centres = [.. Enumerable.Range(0, 10).Select(_ => Uniform(random))];
        return [.. Enumerable.Range(0, 2 * Support).Select(i =>
        {
            float[] v = Uniform(random);
            if (clustered)
            {
                TensorPrimitives.MultiplyAdd(v, 0.4f, centres[i % 10], v);
                TensorPrimitives.Max(v, 0f, v);
            }

            return (v, i % 10);
        })];
    }

    private static float[] Uniform(Random random) =>
        [.. Enumerable.Range(0, Dimension).Select(_ => (float)((random.NextDouble() * 2) - 1))];
}
