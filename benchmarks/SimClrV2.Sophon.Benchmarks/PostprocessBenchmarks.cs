using BenchmarkDotNet.Attributes;
using SimClrV2.Sophon.Postprocess;
using SimClrV2.Sophon.Results;

namespace SimClrV2.Sophon.Benchmarks;

/// <summary>
/// Postprocess stage, per image: 10 logits to a prediction (softmax, argmax, top-5, labels, the
/// result object). The baseline is a straightforward implementation that allocates per image, the
/// way the reference's numpy code does.
/// </summary>
[MemoryDiagnoser]
public class PostprocessBenchmarks
{
    private const int Images = 4;
    private static readonly string[] Labels = ["airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"];
    private readonly Postprocessor _postprocessor = new(10, Labels, 5);
    private float[] _logits = [];

    [GlobalSetup]
    public void Setup()
    {
        var random = new Random(7);
        _logits = Enumerable.Range(0, Images * 10).Select(_ => (float)((random.NextDouble() * 20) - 10)).ToArray();
    }

    [Benchmark(Baseline = true, OperationsPerInvoke = Images)]
    public object Naive()
    {
        object last = null!;
        for (int i = 0; i < Images; i++)
        {
            double[] exp = _logits.Skip(i * 10).Take(10).Select(x => Math.Exp(x)).ToArray();
            double sum = exp.Sum();
            double[] probabilities = exp.Select(e => e / sum).ToArray();
            int best = Array.IndexOf(probabilities, probabilities.Max());
            last = new { filename = "x.png", prediction = best, score = probabilities[best] };
        }

        return last;
    }

    [Benchmark(OperationsPerInvoke = Images)]
    public Prediction Postprocessor()
    {
        Prediction last = null!;
        for (int i = 0; i < Images; i++)
        {
            last = _postprocessor.Create(_logits.AsSpan(i * 10, 10), "x.png", i, null, default);
        }

        return last;
    }
}
