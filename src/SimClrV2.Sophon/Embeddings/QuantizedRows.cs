using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace SimClrV2.Sophon.Embeddings;

/// <summary>
/// An 8-bit copy of the support vectors for a first, approximate pass over all of them: a quarter of
/// the float rows' bytes (5,000 x 128 is 640 KB, which stays in a core's L2 cache where the 2.56 MB of
/// floats come from L3), multiplied with an 8-bit query by the CPU's integer dot-product
/// instructions. Each row keeps its own scale, its length and the length of its rounding error, so a
/// query gets a proven bound on how far each approximate similarity is from the exact one
/// (<see cref="QuantizedQuery.Margin(float, float)"/>); <see cref="SimilaritySearch"/> uses it to
/// rescore in float every row that could be in the exact top k, so the answer is the exact one.
/// Rows with no negative value (embeddings after a ReLU, pooled features) use codes 0-255 where
/// AVX-VNNI multiplies unsigned rows by a signed query: a step of max/255 instead of max/127, half the
/// rounding error.
/// </summary>
internal sealed class QuantizedRows
{
    /// <summary>Bytes per 256-bit step; rows are padded with zeros to a multiple of it.</summary>
    private const int Step = 32;

    private readonly byte[] _codes;
    private readonly float[] _scales;
    private readonly float[] _norms;
    private readonly float[] _residuals;
    private readonly int[] _codeSums;

    private QuantizedRows(int count, int dimension, bool unsignedRows)
    {
        Count = count;
        Dimension = dimension;
        UnsignedRows = unsignedRows;
        Stride = (dimension + Step - 1) / Step * Step;
        _codes = new byte[count * Stride];
        _scales = new float[count];
        _norms = new float[count];
        _residuals = new float[count];
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

    /// <summary>True when the rows are codes 0-255 (no value is negative, and AVX-VNNI multiplies them by a signed query); else codes -127-127.</summary>
    public bool UnsignedRows { get; }

    /// <summary>The largest distance between a row and its 8-bit approximation (Euclidean).</summary>
    public float MaxResidual { get; private set; }

    /// <summary>The largest row length (1 for unit rows; kept so the bound holds for any row).</summary>
    public float MaxNorm { get; private set; }

    /// <summary>Each row's length.</summary>
    public ReadOnlySpan<float> Norms => _norms;

    /// <summary>Each row's distance from its 8-bit approximation.</summary>
    public ReadOnlySpan<float> Residuals => _residuals;

    /// <summary>AVX-VNNI, a stable API from .NET 9 (the .NET 8 build uses AVX2 alone).</summary>
#if NET9_0_OR_GREATER
    private static bool HasVnni => AvxVnni.IsSupported;
#else
    private static bool HasVnni => false;
#endif

    /// <summary>Quantizes rows (row-major, <paramref name="dimension"/> values each) with one scale per row.</summary>
    /// <param name="rows">The rows.</param>
    /// <param name="dimension">Values per row.</param>
    /// <param name="allowUnsigned">False to keep signed codes even for rows with no negative value (tests compare the kernels).</param>
    public static QuantizedRows Build(ReadOnlySpan<float> rows, int dimension, bool allowUnsigned = true)
    {
        int count = rows.Length / dimension;
        var q = new QuantizedRows(count, dimension, allowUnsigned && HasVnni && count > 0 && TensorPrimitives.Min(rows) >= 0f);
        double maxResidual = 0, maxNorm = 0;
        for (int i = 0; i < count; i++)
        {
            ReadOnlySpan<float> row = rows.Slice(i * dimension, dimension);
            (q._scales[i], q._codeSums[i], double residual) = Quantize(row, q._codes.AsSpan(i * q.Stride, dimension), q.UnsignedRows);
            q._residuals[i] = (float)residual;
            q._norms[i] = (float)Math.Sqrt(SumOfSquares(row));
            maxResidual = Math.Max(maxResidual, residual);
            maxNorm = Math.Max(maxNorm, q._norms[i]);
        }

        // A float length may round below the exact one: a relative nudge keeps every bound an upper one.
        q.MaxResidual = (float)(maxResidual * (1 + 1e-6));
        q.MaxNorm = (float)(maxNorm * (1 + 1e-6));
        TensorPrimitives.Multiply(q._residuals, 1 + 1e-6f, q._residuals);
        TensorPrimitives.Multiply(q._norms, 1 + 1e-6f, q._norms);
        return q;
    }

    /// <summary>
    /// Rounds a vector to codes (0-255 when <paramref name="unsignedCodes"/>, else -127-127 stored as
    /// bytes) with its largest magnitude at the top code; returns the scale (value = code x scale),
    /// the codes' sum and the length of the rounding error, computed against the float scale used.
    /// </summary>
    public static (float Scale, int CodeSum, double Residual) Quantize(ReadOnlySpan<float> vector, Span<byte> codes, bool unsignedCodes)
    {
        float max = Math.Abs(TensorPrimitives.MaxMagnitude(vector));
        if (!(max > 0f))
        {
            codes.Clear();
            return (0f, 0, Math.Sqrt(SumOfSquares(vector)));
        }

        int top = unsignedCodes ? 255 : 127, bottom = unsignedCodes ? 0 : -127;
        float inverse = top / max, scale = max / top;
        int sum = 0;
        double residual = 0;
        for (int j = 0; j < vector.Length; j++)
        {
            int code = Math.Clamp((int)MathF.Round(vector[j] * inverse), bottom, top);
            codes[j] = (byte)code;
            sum += code;
            double e = vector[j] - ((double)code * scale);
            residual += e * e;
        }

        return (scale, sum, Math.Sqrt(residual));
    }

    /// <summary>Approximate similarities of a quantized query with every row.</summary>
    /// <param name="query">The query, quantized for these rows.</param>
    /// <param name="approx">Receives one similarity a row.</param>
    /// <param name="useVnni">False to use the AVX2 kernel for signed rows where AVX-VNNI exists (tests compare the two).</param>
    public void Approximate(in QuantizedQuery query, Span<float> approx, bool useVnni = true)
    {
        if (approx.Length != Count || query.Codes.Length != Stride)
        {
            throw new ArgumentException($"{approx.Length} outputs or a query of {query.Codes.Length} bytes for {Count} rows of {Stride}.", nameof(approx));
        }

        ref byte rows = ref MemoryMarshal.GetArrayDataReference(_codes);
        ref byte codes = ref MemoryMarshal.GetReference(query.Codes);
        ref float output = ref MemoryMarshal.GetReference(approx);
        Vector256<float> queryScale = Vector256.Create(query.Scale);
        bool vnni = useVnni && HasVnni;
        int blocks = Count / 8 * 8;
        for (int i = 0; i < blocks; i += 8)
        {
            ref byte r0 = ref Unsafe.Add(ref rows, i * Stride);
            Vector256<int> dots = UnsignedRows ? Dots<UnsignedRowsVnni>(ref codes, ref r0, Stride)
                : vnni ? Dots<SignedRowsVnni>(ref codes, ref r0, Stride) - (Vector256.LoadUnsafe(ref MemoryMarshal.GetArrayDataReference(_codeSums), (nuint)i) << 7)
                : Dots<SignedRowsAvx2>(ref codes, ref r0, Stride);
            Vector256<float> similarity = Vector256.ConvertToSingle(dots) * queryScale * Vector256.LoadUnsafe(ref MemoryMarshal.GetArrayDataReference(_scales), (nuint)i);
            similarity.StoreUnsafe(ref output, (nuint)i);
        }

        for (int i = blocks; i < Count; i++)
        {
            int dot = 0;
            ReadOnlySpan<byte> row = _codes.AsSpan(i * Stride, Stride);
            for (int j = 0; j < Stride; j++)
            {
                dot += UnsignedRows ? (sbyte)query.Codes[j] * row[j] : (query.Codes[j] - 128) * (sbyte)row[j];
            }

            approx[i] = dot * query.Scale * _scales[i];
        }
    }

    private static double SumOfSquares(ReadOnlySpan<float> vector)
    {
        double sum = 0;
        foreach (float v in vector)
        {
            sum += (double)v * v;
        }

        return sum;
    }

    /// <summary>Eight rows' integer dot products with the query codes, one a lane; <typeparamref name="TProducts"/> says how bytes multiply.</summary>
    private static Vector256<int> Dots<TProducts>(ref byte query, ref byte r0, int stride)
        where TProducts : struct, IProducts
    {
        Vector256<int> a0 = Vector256<int>.Zero, a1 = a0, a2 = a0, a3 = a0, a4 = a0, a5 = a0, a6 = a0, a7 = a0;
        ref byte r1 = ref Unsafe.Add(ref r0, stride), r2 = ref Unsafe.Add(ref r1, stride), r3 = ref Unsafe.Add(ref r2, stride);
        ref byte r4 = ref Unsafe.Add(ref r3, stride), r5 = ref Unsafe.Add(ref r4, stride), r6 = ref Unsafe.Add(ref r5, stride);
        ref byte r7 = ref Unsafe.Add(ref r6, stride);
        for (nuint j = 0; j < (nuint)stride; j += Step)
        {
            Vector256<byte> x = Vector256.LoadUnsafe(ref query, j);
            a0 = TProducts.Add(a0, x, Vector256.LoadUnsafe(ref r0, j));
            a1 = TProducts.Add(a1, x, Vector256.LoadUnsafe(ref r1, j));
            a2 = TProducts.Add(a2, x, Vector256.LoadUnsafe(ref r2, j));
            a3 = TProducts.Add(a3, x, Vector256.LoadUnsafe(ref r3, j));
            a4 = TProducts.Add(a4, x, Vector256.LoadUnsafe(ref r4, j));
            a5 = TProducts.Add(a5, x, Vector256.LoadUnsafe(ref r5, j));
            a6 = TProducts.Add(a6, x, Vector256.LoadUnsafe(ref r6, j));
            a7 = TProducts.Add(a7, x, Vector256.LoadUnsafe(ref r7, j));
        }

        // Horizontal adds transpose the eight sums into one vector: per 128-bit half rows 0-3 (4-7) side by side, then both halves added.
        Vector256<int> low = Avx2.HorizontalAdd(Avx2.HorizontalAdd(a0, a1), Avx2.HorizontalAdd(a2, a3));
        Vector256<int> high = Avx2.HorizontalAdd(Avx2.HorizontalAdd(a4, a5), Avx2.HorizontalAdd(a6, a7));
        return Avx2.Permute2x128(low, high, 0x20) + Avx2.Permute2x128(low, high, 0x31);
    }

    /// <summary>How 32 query bytes and 32 row bytes multiply and add into eight 32-bit sums (a struct per kernel, so each loop is compiled for it).</summary>
    private interface IProducts
    {
        static abstract Vector256<int> Add(Vector256<int> sums, Vector256<byte> query, Vector256<byte> row);
    }

    /// <summary>AVX-VNNI, signed rows: it multiplies unsigned by signed bytes, so the query is stored offset by 128 and the caller takes 128 x each row's code sum off.</summary>
    private readonly struct SignedRowsVnni : IProducts
    {
        public static Vector256<int> Add(Vector256<int> sums, Vector256<byte> query, Vector256<byte> row) =>
#if NET9_0_OR_GREATER
            AvxVnni.MultiplyWideningAndAdd(sums, query, row.AsSByte());
#else
            throw new PlatformNotSupportedException();
#endif
    }

    /// <summary>AVX-VNNI, unsigned rows (codes 0-255) by the signed query: no offset to take off.</summary>
    private readonly struct UnsignedRowsVnni : IProducts
    {
        public static Vector256<int> Add(Vector256<int> sums, Vector256<byte> query, Vector256<byte> row) =>
#if NET9_0_OR_GREATER
            AvxVnni.MultiplyWideningAndAdd(sums, row, query.AsSByte());
#else
            throw new PlatformNotSupportedException();
#endif
    }

    /// <summary>
    /// AVX2 alone, signed rows: byte pairs multiplied and added into 16-bit lanes, then into 32-bit
    /// lanes. Unsigned 255 x 127 pairs would saturate 16 bits, so the query's offset is taken off
    /// first (codes in [-127, 127]) and its sign moved onto the row: |q| x (sign(q) r) pairs stay
    /// within 2 x 127 x 127. The sum is the signed dot product (no offset term).
    /// </summary>
    private readonly struct SignedRowsAvx2 : IProducts
    {
        public static Vector256<int> Add(Vector256<int> sums, Vector256<byte> query, Vector256<byte> row)
        {
            Vector256<sbyte> signed = (query ^ Vector256.Create((byte)0x80)).AsSByte();
            return sums + Avx2.MultiplyAddAdjacent(Avx2.MultiplyAddAdjacent(Avx2.Abs(signed), Avx2.Sign(row.AsSByte(), signed)), Vector256<short>.One);
        }
    }
}

/// <summary>A query rounded to its rows' 8-bit form, with what bounds each approximate similarity's error.</summary>
internal readonly ref struct QuantizedQuery
{
    /// <summary>Rounds <paramref name="query"/> into <paramref name="codes"/> (the rows' stride long) for <paramref name="rows"/>.</summary>
    public QuantizedQuery(ReadOnlySpan<float> query, QuantizedRows rows, Span<byte> codes)
    {
        codes.Clear();
        (float scale, _, double residual) = QuantizedRows.Quantize(query, codes[..query.Length], unsignedCodes: false);
        double rounded = 0, norm = 0;
        for (int j = 0; j < query.Length; j++)
        {
            double code = (sbyte)codes[j];
            rounded += code * code;
            norm += (double)query[j] * query[j];
        }

        if (!rows.UnsignedRows)
        {
            TensorPrimitives.Xor(codes, (byte)0x80, codes); // offset: the unsigned operand of AVX-VNNI
        }

        // |q.s - q'.s'| <= |q - q'| |s| + |q'| |s - s'| for the query q, a row s and their 8-bit forms
        // q', s'; plus the float rounding of both sums (n terms each, well under n x 2^-22 relative).
        Codes = codes;
        Scale = scale;
        Norm = (float)Math.Sqrt(norm);
        ResidualFactor = (float)(residual * 1.001);
        RoundedNormFactor = (float)(Math.Sqrt(rounded) * scale * 1.001);
        Slack = (float)((query.Length + 16) * Math.ScaleB(1.0, -22) * Norm * rows.MaxNorm);
        ErrorBound = Margin(rows.MaxNorm, rows.MaxResidual);
    }

    /// <summary>The codes (offset by 128 for signed rows, signed for unsigned rows), padded with zero to the rows' stride.</summary>
    public ReadOnlySpan<byte> Codes { get; }

    /// <summary>A code's value.</summary>
    public float Scale { get; }

    /// <summary>The query's length.</summary>
    public float Norm { get; }

    /// <summary>No approximate similarity is further than this from the exact one (the largest <see cref="Margin(float, float)"/>).</summary>
    public float ErrorBound { get; }

    private float ResidualFactor { get; }

    private float RoundedNormFactor { get; }

    private float Slack { get; }

    /// <summary>How far the approximate similarity of a row of this length and residual can be from the exact one.</summary>
    public float Margin(float norm, float residual) => (ResidualFactor * norm) + (RoundedNormFactor * residual) + Slack;

    /// <summary>Eight rows' <see cref="Margin(float, float)"/>.</summary>
    public Vector256<float> Margin(Vector256<float> norms, Vector256<float> residuals) =>
        (Vector256.Create(ResidualFactor) * norms) + (Vector256.Create(RoundedNormFactor) * residuals) + Vector256.Create(Slack);
}
