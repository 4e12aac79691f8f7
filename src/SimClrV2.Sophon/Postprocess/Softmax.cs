using System.Numerics.Tensors;

namespace SimClrV2.Sophon.Postprocess;

/// <summary>
/// The one softmax: numerically stable and vectorised (TensorPrimitives: max, exp(x - max), sum),
/// used by the pipeline's postprocessing and by <see cref="Compute"/>; and top-k. Allocates nothing.
/// </summary>
internal static class Softmax
{
    /// <summary>
    /// Writes <c>exp(x - max)</c> for every logit and returns their sum: the softmax before its
    /// division, which the pipeline applies only to the top-k. Subtracting the maximum keeps every
    /// exponent at or below 0, so logits of +-1000 (or any finite value) stay finite.
    /// </summary>
    /// <param name="logits">The raw network outputs (at least one).</param>
    /// <param name="exponentials">Destination, at least as long as <paramref name="logits"/>.</param>
    /// <param name="sum">The sum of the exponentials (at least 1).</param>
    /// <returns>False, with nothing written, when a logit is NaN or infinite.</returns>
    public static bool TryExponentiate(ReadOnlySpan<float> logits, Span<float> exponentials, out float sum)
    {
        float max = TensorPrimitives.Max(logits);
        float min = TensorPrimitives.Min(logits);
        if (!float.IsFinite(max) || !float.IsFinite(min))
        {
            sum = float.NaN;
            return false;
        }

        Span<float> e = exponentials[..logits.Length];
        TensorPrimitives.Subtract(logits, max, e);
        TensorPrimitives.Exp(e, e);
        sum = TensorPrimitives.Sum(e);
        return true;
    }

    /// <summary>Writes <c>exp(x - max) / sum(exp(x - max))</c> (see <see cref="TryExponentiate"/>).</summary>
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

        if (!TryExponentiate(logits, probabilities, out float sum))
        {
            throw new ArgumentException($"The logits contain {logits[FirstNonFinite(logits)]}; the network produced a non-finite output.", nameof(logits));
        }

        TensorPrimitives.Multiply(probabilities[..logits.Length], 1f / sum, probabilities[..logits.Length]);
    }

    /// <summary>The index of the first NaN or infinite value, or -1.</summary>
    public static int FirstNonFinite(ReadOnlySpan<float> values)
    {
        for (int i = 0; i < values.Length; i++)
        {
            if (!float.IsFinite(values[i]))
            {
                return i;
            }
        }

        return -1;
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
