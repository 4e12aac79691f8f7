using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace SimClrV2.Sophon.Embeddings;

/// <summary>
/// An 8-bit copy of the support vectors for a first, approximate pass over all of them: a quarter of
/// the float rows' bytes (5,000 x 128 is 640 KB, which stays in a core's L2 cache where the 2.56 MB of
/// floats stream from L3), multiplied with an 8-bit query by the CPU's integer dot-product
/// instructions. Each row keeps its own scale and the length of its rounding error, so a query gets a
/// proven bound on how far any approximate similarity is from the exact one
/// (<see cref="QuantizedQuery.ErrorBound"/>); <see cref="SimilaritySearch"/> uses it to rescore in
/// float every row that could be in the exact top k, so the answer is the exact one.
/// </summary>
internal sealed class QuantizedRows
{
    /// <summary>Bytes per 256-bit step; rows are padded with zeros to a multiple of it.</summary>
    private const int Step = 32;

    private readonly sbyte[] _codes;
    private readonly float[] _scales;
    private readonly int[] _codeSums;

    private QuantizedRows(int count, int dimension)
    {
        Count = count;
        Dimension = dimension;
        Stride = (dimension + Step - 1) / Step * Step;
        _codes = new sbyte[count * Stride];
        _scales = new float[count];
        _codeSums = new int[count];
    }

    /// <summary>True where this CPU has the integer dot-product instructions the scan needs (AVX2; AVX-VNNI is faster).</summary>
    public static bool IsSupported => Avx2.IsSupported;

    /// <summary>Rows.</summary>
    public int Count { get; }

    /// <summary>Values per row.</summary>
    public int Dimension { get; }

    /// <summary>Bytes per padded row.</summary>
    public int Stride { get; }

    /// <summary>The largest distance between a row and its 8-bit approximation (Euclidean).</summary>
    public float MaxResidual { get; private set; }

    /// <summary>The largest row length (1 for unit rows; kept so the bound holds for any row).</summary>
    public float MaxNorm { get; private set; }

    /// <summary>Quantizes rows (row-major, <paramref name="dimension"/> values each) with one scale per row: its largest magnitude maps to 127.</summary>
    public static QuantizedRows Build(ReadOnlySpan<float> rows, int dimension)
    {
        int count = rows.Length / dimension;
        var q = new QuantizedRows(count, dimension);
        double maxResidual = 0, maxNorm = 0;
        for (int i = 0; i < count; i++)
        {
            ReadOnlySpan<float> row = rows.Slice(i * dimension, dimension);
            (q._scales[i], q._codeSums[i], double residual) = Quantize(row, q._codes.AsSpan(i * q.Stride, dimension));
            maxResidual = Math.Max(maxResidual, residual);
            maxNorm = Math.Max(maxNorm, TensorPrimitives.Norm(row));
        }

        q.MaxResidual = (float)maxResidual;
        q.MaxNorm = (float)maxNorm;
        return q;
    }

    /// <summary>
    /// Rounds a vector to codes in [-127, 127] with its largest magnitude at 127; returns the scale
    /// (value = code x scale), the codes' sum and the length of the rounding error, computed against
    /// the float scale that is used.
    /// </summary>
    public static (float Scale, int CodeSum, double Residual) Quantize(ReadOnlySpan<float> vector, Span<sbyte> codes)
    {
        float max = TensorPrimitives.MaxMagnitude(vector);
        max = Math.Abs(max);
        if (!(max > 0f))
        {
            codes.Clear();
            return (0f, 0, TensorPrimitives.Norm(vector));
        }

        float inverse = 127f / max, scale = max / 127f;
        int sum = 0;
        double residual = 0;
        for (int j = 0; j < vector.Length; j++)
        {
            int code = Math.Clamp((int)MathF.Round(vector[j] * inverse), -127, 127);
            codes[j] = (sbyte)code;
            sum += code;
            double e = vector[j] - ((double)code * scale);
            residual += e * e;
        }

        return (scale, sum, Math.Sqrt(residual));
    }

    /// <summary>Approximate similarities of a quantized query with every row.</summary>
    /// <param name="query">The query, quantized for these rows.</param>
    /// <param name="approx">Receives one similarity a row.</param>
    /// <param name="useVnni">False to use the AVX2 kernel where AVX-VNNI exists (tests compare the two).</param>
    public void Approximate(in QuantizedQuery query, Span<float> approx, bool useVnni = true)
    {
        if (approx.Length != Count || query.Codes.Length != Stride)
        {
            throw new ArgumentException($"{approx.Length} outputs or a query of {query.Codes.Length} bytes for {Count} rows of {Stride}.", nameof(approx));
        }

        ref sbyte rows = ref MemoryMarshal.GetArrayDataReference(_codes);
        ref byte codes = ref MemoryMarshal.GetReference(query.Codes);
        ref float output = ref MemoryMarshal.GetReference(approx);
        Vector256<float> queryScale = Vector256.Create(query.Scale);
        bool vnni = useVnni && HasVnni;
        int blocks = Count / 8 * 8;
        for (int i = 0; i < blocks; i += 8)
        {
            ref sbyte r0 = ref Unsafe.Add(ref rows, i * Stride);
            Vector256<int> dots = vnni
                ? DotVnni(ref codes, ref r0, Stride) - (Vector256.LoadUnsafe(ref MemoryMarshal.GetArrayDataReference(_codeSums), (nuint)i) << 7)
                : DotAvx2(ref codes, ref r0, Stride);
            Vector256<float> similarity = Vector256.ConvertToSingle(dots) * queryScale * Vector256.LoadUnsafe(ref MemoryMarshal.GetArrayDataReference(_scales), (nuint)i);
            similarity.StoreUnsafe(ref output, (nuint)i);
        }

        for (int i = blocks; i < Count; i++)
        {
            int dot = 0;
            ReadOnlySpan<sbyte> row = _codes.AsSpan(i * Stride, Stride);
            for (int j = 0; j < Stride; j++)
            {
                dot += (query.Codes[j] - 128) * row[j];
            }

            approx[i] = dot * query.Scale * _scales[i];
        }
    }

    /// <summary>Eight vectors' sums, one a lane, by horizontal adds (a transpose, not eight reductions).</summary>
    private static Vector256<int> Sums(Vector256<int> a0, Vector256<int> a1, Vector256<int> a2, Vector256<int> a3, Vector256<int> a4, Vector256<int> a5, Vector256<int> a6, Vector256<int> a7)
    {
        // Per 128-bit half: rows 0-3 (and 4-7) side by side, then both halves added.
        Vector256<int> low = Avx2.HorizontalAdd(Avx2.HorizontalAdd(a0, a1), Avx2.HorizontalAdd(a2, a3));
        Vector256<int> high = Avx2.HorizontalAdd(Avx2.HorizontalAdd(a4, a5), Avx2.HorizontalAdd(a6, a7));
        return Avx2.Permute2x128(low, high, 0x20) + Avx2.Permute2x128(low, high, 0x31);
    }

    /// <summary>AVX-VNNI, a stable API from .NET 9 (the .NET 8 build uses AVX2 alone).</summary>
#if NET9_0_OR_GREATER
    private static bool HasVnni => AvxVnni.IsSupported;
#else
    private static bool HasVnni => false;
#endif

    /// <summary>
    /// Eight rows' integer dot products with the offset query codes, by AVX-VNNI (one instruction a
    /// step): it multiplies unsigned by signed bytes, so the query is stored offset by 128 and the
    /// caller takes 128 x each row's code sum off.
    /// </summary>
    private static Vector256<int> DotVnni(ref byte query, ref sbyte r0, int stride)
    {
        Vector256<int> a0 = Vector256<int>.Zero, a1 = a0, a2 = a0, a3 = a0, a4 = a0, a5 = a0, a6 = a0, a7 = a0;
#if NET9_0_OR_GREATER
        ref sbyte r1 = ref Unsafe.Add(ref r0, stride), r2 = ref Unsafe.Add(ref r1, stride), r3 = ref Unsafe.Add(ref r2, stride);
        ref sbyte r4 = ref Unsafe.Add(ref r3, stride), r5 = ref Unsafe.Add(ref r4, stride), r6 = ref Unsafe.Add(ref r5, stride);
        ref sbyte r7 = ref Unsafe.Add(ref r6, stride);
        for (nuint j = 0; j < (nuint)stride; j += Step)
        {
            Vector256<byte> x = Vector256.LoadUnsafe(ref query, j);
            a0 = AvxVnni.MultiplyWideningAndAdd(a0, x, Vector256.LoadUnsafe(ref r0, j));
            a1 = AvxVnni.MultiplyWideningAndAdd(a1, x, Vector256.LoadUnsafe(ref r1, j));
            a2 = AvxVnni.MultiplyWideningAndAdd(a2, x, Vector256.LoadUnsafe(ref r2, j));
            a3 = AvxVnni.MultiplyWideningAndAdd(a3, x, Vector256.LoadUnsafe(ref r3, j));
            a4 = AvxVnni.MultiplyWideningAndAdd(a4, x, Vector256.LoadUnsafe(ref r4, j));
            a5 = AvxVnni.MultiplyWideningAndAdd(a5, x, Vector256.LoadUnsafe(ref r5, j));
            a6 = AvxVnni.MultiplyWideningAndAdd(a6, x, Vector256.LoadUnsafe(ref r6, j));
            a7 = AvxVnni.MultiplyWideningAndAdd(a7, x, Vector256.LoadUnsafe(ref r7, j));
        }
#endif

        return Sums(a0, a1, a2, a3, a4, a5, a6, a7);
    }

    /// <summary>
    /// The signed dot products with AVX2 alone: byte pairs multiplied and added into 16-bit lanes,
    /// then into 32-bit lanes. Unsigned 255 x 127 pairs would saturate 16 bits, so the query's offset
    /// is taken off first (codes in [-127, 127]) and its sign moved onto the row: |q| x (sign(q) r)
    /// pairs stay within 2 x 127 x 127.
    /// </summary>
    private static Vector256<int> DotAvx2(ref byte query, ref sbyte r0, int stride)
    {
        Vector256<int> a0 = Vector256<int>.Zero, a1 = a0, a2 = a0, a3 = a0, a4 = a0, a5 = a0, a6 = a0, a7 = a0;
        ref sbyte r1 = ref Unsafe.Add(ref r0, stride), r2 = ref Unsafe.Add(ref r1, stride), r3 = ref Unsafe.Add(ref r2, stride);
        ref sbyte r4 = ref Unsafe.Add(ref r3, stride), r5 = ref Unsafe.Add(ref r4, stride), r6 = ref Unsafe.Add(ref r5, stride);
        ref sbyte r7 = ref Unsafe.Add(ref r6, stride);
        for (nuint j = 0; j < (nuint)stride; j += Step)
        {
            Vector256<sbyte> signed = Vector256.LoadUnsafe(ref query, j).AsSByte() ^ Vector256.Create(sbyte.MinValue);
            Vector256<byte> magnitude = Avx2.Abs(signed);
            a0 += Products(magnitude, signed, Vector256.LoadUnsafe(ref r0, j));
            a1 += Products(magnitude, signed, Vector256.LoadUnsafe(ref r1, j));
            a2 += Products(magnitude, signed, Vector256.LoadUnsafe(ref r2, j));
            a3 += Products(magnitude, signed, Vector256.LoadUnsafe(ref r3, j));
            a4 += Products(magnitude, signed, Vector256.LoadUnsafe(ref r4, j));
            a5 += Products(magnitude, signed, Vector256.LoadUnsafe(ref r5, j));
            a6 += Products(magnitude, signed, Vector256.LoadUnsafe(ref r6, j));
            a7 += Products(magnitude, signed, Vector256.LoadUnsafe(ref r7, j));
        }

        return Sums(a0, a1, a2, a3, a4, a5, a6, a7);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<int> Products(Vector256<byte> magnitude, Vector256<sbyte> signed, Vector256<sbyte> row) =>
        Avx2.MultiplyAddAdjacent(Avx2.MultiplyAddAdjacent(magnitude, Avx2.Sign(row, signed)), Vector256<short>.One);
}

/// <summary>A query rounded to the rows' 8-bit form (offset by 128), with the bound on every approximate similarity's error.</summary>
internal readonly ref struct QuantizedQuery
{
    /// <summary>Rounds <paramref name="query"/> into <paramref name="codes"/> (the rows' stride long) for <paramref name="rows"/>.</summary>
    public QuantizedQuery(ReadOnlySpan<float> query, QuantizedRows rows, Span<byte> codes)
    {
        Span<sbyte> signed = MemoryMarshal.Cast<byte, sbyte>(codes);
        signed.Clear();
        (float scale, _, double residual) = QuantizedRows.Quantize(query, signed[..query.Length]);

        // |q.s - q'.s'| <= |q - q'| |s| + |q'| |s - s'| for the query q, a row s and their 8-bit forms
        // q', s'; plus the float rounding of both sums (n terms each, well under n x 2^-22 relative).
        double rounded = 0, norm = 0;
        for (int j = 0; j < query.Length; j++)
        {
            rounded += signed[j] * signed[j];
            norm += (double)query[j] * query[j];
        }

        TensorPrimitives.Xor(codes, (byte)0x80, codes);

        double bound = (residual * rows.MaxNorm) + (Math.Sqrt(rounded) * scale * rows.MaxResidual)
            + ((query.Length + 16) * Math.ScaleB(1.0, -22) * Math.Sqrt(norm) * rows.MaxNorm);
        Codes = codes;
        Scale = scale;
        Norm = (float)Math.Sqrt(norm);
        ErrorBound = (float)(bound * 1.001);
    }

    /// <summary>The codes + 128, padded with 128 (zero) to the rows' stride.</summary>
    public ReadOnlySpan<byte> Codes { get; }

    /// <summary>A code's value.</summary>
    public float Scale { get; }

    /// <summary>The query's length.</summary>
    public float Norm { get; }

    /// <summary>No approximate similarity is further than this from the exact one.</summary>
    public float ErrorBound { get; }
}
