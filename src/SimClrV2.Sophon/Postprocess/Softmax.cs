using System.Numerics.Tensors;

namespace SimClrV2.Sophon.Postprocess;

/// <summary>Numerically stable softmax, argmax and top-k over one row of logits. Allocates nothing.</summary>
public static class Softmax
{
    /// <summary>
    /// Writes <c>exp(x - max) / sum(exp(x - max))</c>; subtracting the maximum keeps every exponent
    /// at or below 0, so logits of +-1000 (or any finite value) give finite probabilities.
    /// </summary>
    /// <param name="logits">The raw network outputs.</param>
    /// <param name="probabilities">Destination, at least as long as <paramref name="logits"/>.</param>
    /// <exception cref="ArgumentException">Empty input, a short destination, or a NaN/infinite logit.</exception>
    public static void Compute(ReadOnlySpan<float> logits, Span<float> probabilities)
    {
        if (logits.IsEmpty)
        {
            throw new ArgumentException("Softmax needs at least one logit.", nameof(logits));
        }

        if (probabilities.Length < logits.Length)
        {
            throw new ArgumentException($"The destination holds {probabilities.Length} values; {logits.Length} are needed.", nameof(probabilities));
        }

        // Vectorised (TensorPrimitives): max, exp(x - max), sum, scale. Max is NaN when any logit is.
        float max = TensorPrimitives.Max(logits);
        float min = TensorPrimitives.Min(logits);
        if (!float.IsFinite(max) || !float.IsFinite(min))
        {
            throw new ArgumentException($"The logits contain {(float.IsFinite(max) ? min : max)}; the network produced a non-finite output.", nameof(logits));
        }

        Span<float> p = probabilities[..logits.Length];
        TensorPrimitives.Subtract(logits, max, p);
        TensorPrimitives.Exp(p, p);
        TensorPrimitives.Multiply(p, 1f / TensorPrimitives.Sum(p), p);
    }

    /// <summary>The index of the largest value (the first one on ties).</summary>
    /// <param name="values">The values.</param>
    /// <returns>The index, or -1 when empty.</returns>
    public static int ArgMax(ReadOnlySpan<float> values)
    {
        int best = -1;
        float bestValue = float.NegativeInfinity;
        for (int i = 0; i < values.Length; i++)
        {
            if (values[i] > bestValue || best < 0)
            {
                best = i;
                bestValue = values[i];
            }
        }

        return best;
    }

    /// <summary>Writes the indices of the <paramref name="indices"/>.Length largest values, largest first (ties: lower index first).</summary>
    /// <param name="values">The values.</param>
    /// <param name="indices">Destination; its length is k (at most the number of values).</param>
    public static void TopK(ReadOnlySpan<float> values, Span<int> indices)
    {
        int k = indices.Length;
        if (k > values.Length)
        {
            throw new ArgumentException($"Top-{k} asked of {values.Length} values.", nameof(indices));
        }

        int filled = 0;
        for (int i = 0; i < values.Length; i++)
        {
            float v = values[i];
            if (filled == k && !(v > values[indices[k - 1]]))
            {
                continue;
            }

            int position = filled < k ? filled++ : k - 1;
            while (position > 0 && v > values[indices[position - 1]])
            {
                indices[position] = indices[position - 1];
                position--;
            }

            indices[position] = i;
        }
    }
}
