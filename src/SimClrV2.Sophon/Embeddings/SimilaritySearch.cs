using System.Buffers;
using System.Numerics;
using System.Numerics.Tensors;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace SimClrV2.Sophon.Embeddings;

/// <summary>
/// The k support rows most similar to a query, with their exact similarities. With an 8-bit copy of
/// the rows (<see cref="QuantizedRows"/>) it runs in two passes: approximate similarities of every
/// row, each the middle of a range proven to hold the exact one; a histogram of the ranges' lower
/// ends gives a value at or below the k-th exact similarity; then the exact float similarity of every
/// row whose range reaches that value. The top k of those are the exact top k, because no other row
/// can beat the k-th. Without the copy (no AVX2, few rows, k a large share of the rows, a query that
/// is not finite) it scores every row exactly. Both give the same rows and the same values, ties
/// going to the lower row.
/// </summary>
internal static class SimilaritySearch
{
    /// <summary>Fewer rows than this are scored exactly: the two passes gain nothing there.</summary>
    public const int MinimumQuantizedRows = 1024;

    private const int Bins = 1024;

    /// <summary>How many candidates ahead of the one being rescored its row is fetched.</summary>
    private const int Lookahead = 4;

    /// <summary>True when a set of <paramref name="count"/> rows is worth an 8-bit copy on this CPU.</summary>
    public static bool UsesQuantized(int count) => QuantizedRows.IsSupported && count >= MinimumQuantizedRows;

    /// <summary>
    /// Fills <paramref name="top"/> with the indexes of the <c>top.Length</c> rows most similar to
    /// <paramref name="query"/> and <paramref name="similarities"/> with their similarities (largest
    /// first when <paramref name="sorted"/>); returns the largest similarity of any row.
    /// </summary>
    /// <param name="rows">The support rows (row-major).</param>
    /// <param name="quantized">Their 8-bit copy, or null to score every row exactly.</param>
    /// <param name="query">The query.</param>
    /// <param name="top">Receives the row indexes (k of them, k &lt;= rows).</param>
    /// <param name="similarities">Receives their similarities (as long as <paramref name="top"/>).</param>
    /// <param name="sorted">Whether the result must be in order.</param>
    public static float Top(ReadOnlySpan<float> rows, QuantizedRows? quantized, ReadOnlySpan<float> query, Span<int> top, Span<float> similarities, bool sorted)
    {
        int count = rows.Length / query.Length, k = top.Length;
        if (quantized is not null && (quantized.Count != count || quantized.Dimension != query.Length))
        {
            throw new ArgumentException($"The 8-bit copy holds {quantized.Count} rows of {quantized.Dimension}, not these {count} of {query.Length}.", nameof(quantized));
        }

        float[] rented = ArrayPool<float>.Shared.Rent(count);
        int[] candidates = ArrayPool<int>.Shared.Rent(count);
        try
        {
            Span<float> sims = rented.AsSpan(0, count);
            int found = quantized is not null && k * 4 <= count && float.IsFinite(TensorPrimitives.Sum(query))
                ? Candidates(rows, quantized, query, k, sims, candidates)
                : -1;
            if (found < 0)
            {
                SimilarityKernel.Compute(rows, query, sims);
                TopK.Select(sims, top, sorted);
                for (int i = 0; i < k; i++)
                {
                    similarities[i] = sims[top[i]];
                }

                return TensorPrimitives.Max(sims);
            }

            // sims[0..found) are the candidates' exact similarities, in row order.
            Span<float> exact = sims[..found];
            TopK.Select(exact, top, sorted);
            for (int i = 0; i < k; i++)
            {
                similarities[i] = exact[top[i]];
                top[i] = candidates[top[i]];
            }

            return TensorPrimitives.Max(exact);
        }
        finally
        {
            ArrayPool<float>.Shared.Return(rented);
            ArrayPool<int>.Shared.Return(candidates);
        }
    }

    /// <summary>
    /// The rows that could be in the exact top k, in row order, into <paramref name="candidates"/>,
    /// and their exact similarities into the start of <paramref name="sims"/>; returns how many.
    /// </summary>
    private static int Candidates(ReadOnlySpan<float> rows, QuantizedRows quantized, ReadOnlySpan<float> query, int k, Span<float> sims, Span<int> candidates)
    {
        byte[]? rentedCodes = quantized.Stride > 1024 ? ArrayPool<byte>.Shared.Rent(quantized.Stride) : null;
        Span<byte> codes = rentedCodes is null ? stackalloc byte[quantized.Stride] : rentedCodes.AsSpan(0, quantized.Stride);
        try
        {
            var q = new QuantizedQuery(query, quantized, codes);
            quantized.Approximate(q, sims);

            // Each row's exact similarity lies within its margin of the approximation. The k-th
            // largest lower end is at or below the k-th exact similarity, so a row whose upper end
            // is below it cannot be in the top k.
            LowerEnds(sims, quantized, q);
            float floor = KthLowerBound(sims, k, (q.Norm * quantized.MaxNorm) + (2 * q.ErrorBound));
            int found = Gather(sims, quantized, q, floor, candidates);

            // The approximations are done with: the exact similarities take their place.
            int d = query.Length;
            for (int i = 0; i < found; i++)
            {
                if (i + Lookahead < found)
                {
                    Prefetch(rows.Slice(candidates[i + Lookahead] * d, d));
                }

                sims[i] = SimilarityKernel.Row(rows.Slice(candidates[i] * d, d), query);
            }

            return found;
        }
        finally
        {
            if (rentedCodes is not null)
            {
                ArrayPool<byte>.Shared.Return(rentedCodes);
            }
        }
    }

    /// <summary>
    /// A value at or below the k-th largest of <paramref name="values"/> (all within
    /// [-<paramref name="limit"/>, <paramref name="limit"/>]): the largest for k = 1, otherwise from a
    /// histogram, the lower edge of the bin where the count from the top reaches k, less one bin for
    /// the rounding of the bin index.
    /// </summary>
    private static float KthLowerBound(ReadOnlySpan<float> values, int k, float limit)
    {
        if (k == 1)
        {
            return TensorPrimitives.Max(values);
        }

        // Two histograms, for the low and high four lanes, halve the chains of increments to one bin.
        Span<int> both = stackalloc int[2 * Bins];
        both.Clear();
        Span<int> histogram = both[..Bins], high = both[Bins..];
        float width = 2 * limit / Bins, inverse = 1 / width;
        int i = 0;
        if (Vector256.IsHardwareAccelerated)
        {
            // Eight bin indexes at a time; the counting stays scalar.
            Span<int> bins = stackalloc int[Vector256<int>.Count];
            ref float start = ref MemoryMarshal.GetReference(values);
            for (; i + Vector256<float>.Count <= values.Length; i += Vector256<float>.Count)
            {
                Vector256<int> index = Vector256.ConvertToInt32((Vector256.LoadUnsafe(ref start, (nuint)i) + Vector256.Create(limit)) * Vector256.Create(inverse));
                Vector256.Min(Vector256.Max(index, Vector256<int>.Zero), Vector256.Create(Bins - 1)).CopyTo(bins);
                histogram[bins[0]]++;
                high[bins[4]]++;
                histogram[bins[1]]++;
                high[bins[5]]++;
                histogram[bins[2]]++;
                high[bins[6]]++;
                histogram[bins[3]]++;
                high[bins[7]]++;
            }
        }

        for (; i < values.Length; i++)
        {
            histogram[Math.Clamp((int)((values[i] + limit) * inverse), 0, Bins - 1)]++;
        }

        int seen = 0;
        for (int b = Bins - 1; b > 0; b--)
        {
            seen += histogram[b] + high[b];
            if (seen >= k)
            {
                return -limit + ((b - 1) * width);
            }
        }

        return float.NegativeInfinity;
    }

    /// <summary>Asks for a row's cache lines ahead of its use: candidates lie far apart, where the hardware does not guess the next.</summary>
    private static unsafe void Prefetch(ReadOnlySpan<float> row)
    {
        if (Sse.IsSupported)
        {
            fixed (float* p = row)
            {
                for (int offset = 0; offset < row.Length; offset += 16)
                {
                    Sse.Prefetch0(p + offset);
                }
            }
        }
    }

    /// <summary>Turns approximate similarities into the lower ends of their rows' ranges.</summary>
    private static void LowerEnds(Span<float> approx, QuantizedRows rows, in QuantizedQuery q)
    {
        int i = 0;
        ref float start = ref MemoryMarshal.GetReference(approx);
        ref float norms = ref MemoryMarshal.GetReference(rows.Norms);
        ref float residuals = ref MemoryMarshal.GetReference(rows.Residuals);
        for (; i + Vector256<float>.Count <= approx.Length; i += Vector256<float>.Count)
        {
            Vector256<float> margin = q.Margin(Vector256.LoadUnsafe(ref norms, (nuint)i), Vector256.LoadUnsafe(ref residuals, (nuint)i));
            (Vector256.LoadUnsafe(ref start, (nuint)i) - margin).StoreUnsafe(ref start, (nuint)i);
        }

        for (; i < approx.Length; i++)
        {
            approx[i] -= q.Margin(rows.Norms[i], rows.Residuals[i]);
        }
    }

    /// <summary>The rows whose upper end (lower end + twice the margin) reaches <paramref name="floor"/>, in order; returns how many.</summary>
    private static int Gather(ReadOnlySpan<float> lower, QuantizedRows rows, in QuantizedQuery q, float floor, Span<int> indexes)
    {
        int found = 0, i = 0;
        ref float start = ref MemoryMarshal.GetReference(lower);
        ref float norms = ref MemoryMarshal.GetReference(rows.Norms);
        ref float residuals = ref MemoryMarshal.GetReference(rows.Residuals);
        for (; i + Vector256<float>.Count <= lower.Length; i += Vector256<float>.Count)
        {
            Vector256<float> margin = q.Margin(Vector256.LoadUnsafe(ref norms, (nuint)i), Vector256.LoadUnsafe(ref residuals, (nuint)i));
            Vector256<float> upper = Vector256.LoadUnsafe(ref start, (nuint)i) + margin + margin;
            for (uint mask = Vector256.GreaterThanOrEqual(upper, Vector256.Create(floor)).ExtractMostSignificantBits(); mask != 0; mask &= mask - 1)
            {
                indexes[found++] = i + BitOperations.TrailingZeroCount(mask);
            }
        }

        for (; i < lower.Length; i++)
        {
            float margin = q.Margin(rows.Norms[i], rows.Residuals[i]);
            if (lower[i] + margin + margin >= floor)
            {
                indexes[found++] = i;
            }
        }

        return found;
    }
}
