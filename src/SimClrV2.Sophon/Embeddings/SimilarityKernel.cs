using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace SimClrV2.Sophon.Embeddings;

/// <summary>
/// Dot products of a query with every row of a row-major matrix (cosine similarities of unit
/// vectors). Four rows at a time with 256-bit vectors, so each load of the query serves four rows and
/// the loop carries four independent sums (the rows stream from cache, so wider vectors gain nothing
/// measurable); other sizes fall back to
/// <see cref="TensorPrimitives.Dot(ReadOnlySpan{float}, ReadOnlySpan{float})"/> per row. A row left
/// over from the blocks, or rescored alone (<see cref="Row"/>), is summed in the same order, so every
/// path gives a row the same value.
/// </summary>
internal static class SimilarityKernel
{
    public static void Compute(ReadOnlySpan<float> rows, ReadOnlySpan<float> query, Span<float> sims)
    {
        int d = query.Length;
        if (rows.Length != sims.Length * d)
        {
            throw new ArgumentException($"{rows.Length} values are not {sims.Length} rows of {d}.", nameof(rows));
        }

        int done = Blocks(d) ? Blocked256(rows, query, sims) : 0;
        for (int i = done; i < sims.Length; i++)
        {
            sims[i] = Row(rows.Slice(i * d, d), query);
        }
    }

    /// <summary>One row's similarity, bit for bit what <see cref="Compute"/> gives that row.</summary>
    public static float Row(ReadOnlySpan<float> row, ReadOnlySpan<float> query)
    {
        if (!Blocks(query.Length))
        {
            return TensorPrimitives.Dot(row, query);
        }

        ref float q = ref MemoryMarshal.GetReference(query);
        ref float r = ref MemoryMarshal.GetReference(row);
        Vector256<float> a = Vector256<float>.Zero;
        for (int j = 0; j < query.Length; j += Vector256<float>.Count)
        {
            a += Vector256.LoadUnsafe(ref r, (nuint)j) * Vector256.LoadUnsafe(ref q, (nuint)j);
        }

        return Vector256.Sum(a);
    }

    private static bool Blocks(int d) => Vector256.IsHardwareAccelerated && d % Vector256<float>.Count == 0;

    /// <summary>Rows in blocks of four with 256-bit vectors; returns how many rows it did.</summary>
    private static int Blocked256(ReadOnlySpan<float> rows, ReadOnlySpan<float> query, Span<float> sims)
    {
        int d = query.Length, blocks = sims.Length / 4 * 4, width = Vector256<float>.Count;
        ref float q = ref MemoryMarshal.GetReference(query);
        ref float m = ref MemoryMarshal.GetReference(rows);
        for (int i = 0; i < blocks; i += 4)
        {
            ref float r0 = ref Unsafe.Add(ref m, i * d);
            ref float r1 = ref Unsafe.Add(ref r0, d);
            ref float r2 = ref Unsafe.Add(ref r1, d);
            ref float r3 = ref Unsafe.Add(ref r2, d);
            Vector256<float> a0 = Vector256<float>.Zero, a1 = a0, a2 = a0, a3 = a0;
            for (int j = 0; j < d; j += width)
            {
                Vector256<float> x = Vector256.LoadUnsafe(ref q, (nuint)j);
                a0 += Vector256.LoadUnsafe(ref r0, (nuint)j) * x;
                a1 += Vector256.LoadUnsafe(ref r1, (nuint)j) * x;
                a2 += Vector256.LoadUnsafe(ref r2, (nuint)j) * x;
                a3 += Vector256.LoadUnsafe(ref r3, (nuint)j) * x;
            }

            sims[i] = Vector256.Sum(a0);
            sims[i + 1] = Vector256.Sum(a1);
            sims[i + 2] = Vector256.Sum(a2);
            sims[i + 3] = Vector256.Sum(a3);
        }

        return blocks;
    }
}
