using System.Buffers;
using System.Globalization;
using System.Numerics.Tensors;
using SimClrV2.Sophon.Results;

namespace SimClrV2.Sophon.Postprocess;

/// <summary>What a classifier network outputs per class.</summary>
public enum OutputKind
{
    /// <summary>Logits: the postprocessor applies softmax (the reference's models).</summary>
    Logits,

    /// <summary>Probabilities (the model ends in softmax): used as they are, never softmaxed again.</summary>
    Probabilities,
}

/// <summary>Network outputs to a <see cref="Prediction"/>: stable softmax (for logits), argmax, top-k, label names.</summary>
internal sealed class Postprocessor
{
    private const int StackLimit = 1024;
    private readonly string[] _labels;

    /// <summary>Creates a postprocessor.</summary>
    /// <param name="classCount">Values per output row.</param>
    /// <param name="labels">Class names (null: the index as text); must have <paramref name="classCount"/> entries.</param>
    /// <param name="topK">Classes listed per prediction (clamped to 1..classCount).</param>
    /// <param name="outputKind">Whether the outputs are logits (softmaxed here) or already probabilities.</param>
    /// <exception cref="ArgumentException">The label count differs from the class count.</exception>
    public Postprocessor(int classCount, IReadOnlyList<string>? labels, int topK, OutputKind outputKind = OutputKind.Logits)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(classCount, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(topK, 1);
        if (LabelRule.CountProblem(labels, classCount) is { } problem)
        {
            throw new ArgumentException($"The labels given {problem}.", nameof(labels));
        }

        _labels = labels?.ToArray() ?? Enumerable.Range(0, classCount).Select(i => i.ToString(CultureInfo.InvariantCulture)).ToArray();
        ClassCount = classCount;
        TopK = Math.Min(topK, classCount);
        OutputKind = outputKind;
    }

    /// <summary>Whether outputs are logits or probabilities.</summary>
    public OutputKind OutputKind { get; }

    /// <summary>True when a row looks like probabilities already (each in [0, 1], summing to 1 within 1e-3): the sign of a model that ends in softmax.</summary>
    /// <param name="row">One output row.</param>
    /// <returns>Whether it sums to 1.</returns>
    public static bool LooksLikeProbabilities(ReadOnlySpan<float> row)
    {
        double sum = 0;
        foreach (float v in row)
        {
            if (!(v >= 0f && v <= 1f))
            {
                return false;
            }

            sum += v;
        }

        return Math.Abs(sum - 1.0) <= 1e-3;
    }

    /// <summary>Values per output row.</summary>
    public int ClassCount { get; }

    /// <summary>Classes listed per prediction.</summary>
    public int TopK { get; }

    /// <summary>Class names in index order.</summary>
    public IReadOnlyList<string> Labels => _labels;

    /// <summary>Builds the prediction for one output row (logits, or probabilities per <see cref="OutputKind"/>).</summary>
    /// <param name="logits">The row (<see cref="ClassCount"/> values).</param>
    /// <param name="source">The input's name.</param>
    /// <param name="inputIndex">The input's position.</param>
    /// <param name="expected">The ground-truth class, if known.</param>
    /// <param name="timings">The timings so far (postprocess is measured by the caller).</param>
    /// <returns>The prediction; a failed one (with <see cref="Prediction.Error"/>) when a logit is NaN or infinite.</returns>
    public Prediction Create(ReadOnlySpan<float> logits, string source, int inputIndex, int? expected, StageTimings timings)
    {
        if (logits.Length != ClassCount)
        {
            throw new ArgumentException($"Expected {ClassCount} logits, got {logits.Length}.", nameof(logits));
        }

        float[]? rented = null;
        Span<float> exps = ClassCount <= StackLimit ? stackalloc float[ClassCount] : (rented = ArrayPool<float>.Shared.Rent(ClassCount)).AsSpan(0, ClassCount);
        Span<int> top = TopK <= 64 ? stackalloc int[TopK] : new int[TopK];
        try
        {
            float sum;
            if (OutputKind == OutputKind.Probabilities && float.IsFinite(TensorPrimitives.Sum(logits)))
            {
                // Already probabilities: ranked and reported as they are.
                logits.CopyTo(exps);
                sum = 1f;
            }
            else if (OutputKind == OutputKind.Probabilities || !Softmax.TryExponentiate(logits, exps, out sum))
            {
                int i = Softmax.FirstNonFinite(logits);
                return new Prediction
                {
                    Source = source,
                    InputIndex = inputIndex,
                    ExpectedClassIndex = expected,
                    Timings = timings,
                    ErrorKind = PredictionErrorKind.InvalidOutput,
                    Error = string.Create(CultureInfo.InvariantCulture, $"the network's output for this image is not finite ({logits[i]} for class {i}); the model overflowed on it (check its preprocessing and, for quantised models, its calibration)"),
                };
            }

            // Only the top-k are divided by the sum: the order of the exponentials is the order of the probabilities.
            Softmax.TopK(exps, top);
            float inverse = 1f / sum;
            var scores = new ClassScore[TopK];
            for (int i = 0; i < scores.Length; i++)
            {
                scores[i] = new ClassScore(top[i], _labels[top[i]], exps[top[i]] * inverse);
            }

            return new Prediction
            {
                Source = source,
                InputIndex = inputIndex,
                ClassIndex = top[0],
                Label = _labels[top[0]],
                Score = scores[0].Score,
                TopK = scores,
                ExpectedClassIndex = expected,
                Timings = timings,
            };
        }
        finally
        {
            if (rented is not null)
            {
                ArrayPool<float>.Shared.Return(rented);
            }
        }
    }
}
