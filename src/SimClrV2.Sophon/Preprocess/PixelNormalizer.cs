using System.Buffers;
using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.Arm;
using System.Runtime.Intrinsics.X86;
using SimClrV2.Sophon.Decode;
using SimClrV2.Sophon.Infer;

namespace SimClrV2.Sophon.Preprocess;

/// <summary>
/// The normalisation kernel: 8-bit RGB pixels (interleaved or planar) to an NCHW (planes) or NHWC
/// (interleaved) tensor of the engine's element type, <c>value = pixel * alpha[c] + beta[c]</c> with
/// <c>alpha = scale / std</c> and <c>beta = -mean / std</c> precomputed in double.
/// 16 pixels per step with Vector128 (SSSE3 / NEON byte shuffles move the bytes into the tensor's
/// order: de-interleave for NCHW, channel swap or interleave for NHWC; Vector256 does the float
/// arithmetic where AVX2 exists), then a scalar tail. Allocates nothing.
/// </summary>
internal static class PixelNormalizer
{
    // NCHW de-interleave: output vector c holds channel c of 16 pixels (source bytes 3i + c).
    private static readonly Vector128<byte>[] s_masks = CreateMasks(o => ((o % 16) * 3) + (o / 16));

    // NHWC from interleaved RGB in BGR order: output byte o takes the pixel's other end channel.
    private static readonly Vector128<byte>[] s_swapMasks = CreateMasks(o => (o / 3 * 3) + 2 - (o % 3));

    // NHWC from three 16-pixel channel vectors (already in network order): output byte o is pixel
    // o / 3 of channel o % 3.
    private static readonly Vector128<byte>[] s_interleaveMasks = CreateMasks(o => ((o % 3) * 16) + (o / 3));

    /// <summary>Whether the de-interleave step runs in SIMD on this CPU (else scalar).</summary>
    public static bool IsInterleavedAccelerated => Ssse3.IsSupported || AdvSimd.Arm64.IsSupported;

    /// <summary>Normalises one image into its tensor slot.</summary>
    /// <param name="pixels">RGB bytes: interleaved RGBRGB... or planar RRR..GGG..BBB.</param>
    /// <param name="layout">Source layout.</param>
    /// <param name="pixelCount">Width x height.</param>
    /// <param name="affine">Per-plane alpha/beta in network plane order.</param>
    /// <param name="order">Network channel order.</param>
    /// <param name="destination">The image slot (3 x pixelCount elements of <paramref name="type"/>).</param>
    /// <param name="type">The engine's element type.</param>
    /// <param name="quantizationScale">Scale for INT8/UINT8.</param>
    /// <param name="zeroPoint">Zero point for INT8/UINT8.</param>
    /// <param name="tensorLayout">The tensor's layout: planes (NCHW) or interleaved channels (NHWC).</param>
    public static void Normalize(
        ReadOnlySpan<byte> pixels,
        PixelLayout layout,
        int pixelCount,
        in ChannelAffine affine,
        ChannelOrder order,
        Span<byte> destination,
        TensorElementType type,
        float quantizationScale,
        int zeroPoint = 0,
        TensorLayout tensorLayout = TensorLayout.Nchw)
    {
        if (pixels.Length < pixelCount * 3)
        {
            throw new ArgumentException($"Expected {pixelCount * 3} pixel bytes, got {pixels.Length}.", nameof(pixels));
        }

        if (destination.Length < pixelCount * 3 * type.SizeInBytes())
        {
            throw new ArgumentException($"Destination holds {destination.Length} bytes; {pixelCount * 3 * type.SizeInBytes()} are needed.", nameof(destination));
        }

        switch (type)
        {
            case TensorElementType.Float32:
                Normalize(pixels, layout, pixelCount, affine, order, destination, default(Float32Writer), tensorLayout);
                break;
            case TensorElementType.Float16:
                // FP32 into pooled scratch, then one vectorised conversion of the whole image.
                float[] scratch = ArrayPool<float>.Shared.Rent(pixelCount * 3);
                try
                {
                    Span<float> values = scratch.AsSpan(0, pixelCount * 3);
                    Normalize(pixels, layout, pixelCount, affine, order, MemoryMarshal.AsBytes(values), default(Float32Writer), tensorLayout);
                    TensorPrimitives.ConvertToHalf(values, MemoryMarshal.Cast<byte, Half>(destination)[..values.Length]);
                }
                finally
                {
                    ArrayPool<float>.Shared.Return(scratch);
                }

                break;
            case TensorElementType.Int8:
                Normalize(pixels, layout, pixelCount, affine, order, destination, new Int8Writer(quantizationScale, zeroPoint), tensorLayout);
                break;
            case TensorElementType.UInt8:
                Normalize(pixels, layout, pixelCount, affine, order, destination, new UInt8Writer(quantizationScale, zeroPoint), tensorLayout);
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(type), type, "Unknown tensor element type.");
        }
    }

    private static void Normalize<TWriter>(
        ReadOnlySpan<byte> pixels, PixelLayout layout, int pixelCount, in ChannelAffine affine, ChannelOrder order, Span<byte> destination, TWriter writer, TensorLayout tensorLayout)
        where TWriter : struct, IPlaneWriter
    {
        if (tensorLayout == TensorLayout.Nhwc)
        {
            NormalizeInterleaved(pixels, layout, pixelCount, affine, order, destination, writer);
            return;
        }

        ref byte plane0 = ref PlaneWriterExtensions.PlaneStart<TWriter>(destination, 0, pixelCount);
        ref byte plane1 = ref PlaneWriterExtensions.PlaneStart<TWriter>(destination, 1, pixelCount);
        ref byte plane2 = ref PlaneWriterExtensions.PlaneStart<TWriter>(destination, 2, pixelCount);

        // Source channel feeding network plane 0 and 2 (plane 1 is always green).
        int first = order == ChannelOrder.Rgb ? 0 : 2;
        int last = 2 - first;
        ref byte src = ref MemoryMarshal.GetReference(pixels);

        if (layout == PixelLayout.Planar)
        {
            NormalizePlane(ref Unsafe.Add(ref src, first * pixelCount), pixelCount, affine.A0, affine.B0, ref plane0, writer);
            NormalizePlane(ref Unsafe.Add(ref src, pixelCount), pixelCount, affine.A1, affine.B1, ref plane1, writer);
            NormalizePlane(ref Unsafe.Add(ref src, last * pixelCount), pixelCount, affine.A2, affine.B2, ref plane2, writer);
            return;
        }

        int i = 0;
        if (IsInterleavedAccelerated)
        {
            Vector128<byte>[] m = s_masks;
            for (; i <= pixelCount - 16; i += 16)
            {
                ref byte block = ref Unsafe.Add(ref src, i * 3);
                Vector128<byte> s0 = Vector128.LoadUnsafe(ref block);
                Vector128<byte> s1 = Vector128.LoadUnsafe(ref block, 16);
                Vector128<byte> s2 = Vector128.LoadUnsafe(ref block, 32);
                Vector128<byte> r = Lookup(s0, m[0]) | Lookup(s1, m[1]) | Lookup(s2, m[2]);
                Vector128<byte> g = Lookup(s0, m[3]) | Lookup(s1, m[4]) | Lookup(s2, m[5]);
                Vector128<byte> b = Lookup(s0, m[6]) | Lookup(s1, m[7]) | Lookup(s2, m[8]);
                (Vector128<byte> p0, Vector128<byte> p2) = order == ChannelOrder.Rgb ? (r, b) : (b, r);
                Affine16(p0, affine.A0, affine.B0, ref plane0, i, writer);
                Affine16(g, affine.A1, affine.B1, ref plane1, i, writer);
                Affine16(p2, affine.A2, affine.B2, ref plane2, i, writer);
            }
        }

        for (; i < pixelCount; i++)
        {
            ref byte px = ref Unsafe.Add(ref src, i * 3);
            writer.Write(ref plane0, i, (Unsafe.Add(ref px, first) * affine.A0) + affine.B0);
            writer.Write(ref plane1, i, (Unsafe.Add(ref px, 1) * affine.A1) + affine.B1);
            writer.Write(ref plane2, i, (Unsafe.Add(ref px, last) * affine.A2) + affine.B2);
        }
    }

    /// <summary>NHWC: the tensor is one interleaved run <c>v[3i + c]</c>; bytes are moved into that order 48 at a time, then scaled with per-position alpha/beta.</summary>
    private static void NormalizeInterleaved<TWriter>(
        ReadOnlySpan<byte> pixels, PixelLayout layout, int pixelCount, in ChannelAffine affine, ChannelOrder order, Span<byte> destination, TWriter writer)
        where TWriter : struct, IPlaneWriter
    {
        ref byte dst = ref MemoryMarshal.GetReference(destination);
        ref byte src = ref MemoryMarshal.GetReference(pixels);
        int first = order == ChannelOrder.Rgb ? 0 : 2;
        int last = 2 - first;
        int i = 0;
        if (IsInterleavedAccelerated)
        {
            // alpha/beta for the 48 values of 16 pixels: position e holds channel e % 3.
            Span<float> a = stackalloc float[48];
            Span<float> b = stackalloc float[48];
            for (int e = 0; e < 48; e++)
            {
                (a[e], b[e]) = (e % 3) switch { 0 => (affine.A0, affine.B0), 1 => (affine.A1, affine.B1), _ => (affine.A2, affine.B2) };
            }

            ref float ra = ref MemoryMarshal.GetReference(a);
            ref float rb = ref MemoryMarshal.GetReference(b);
            Vector256<float> a0 = Vector256.LoadUnsafe(ref ra), a1 = Vector256.LoadUnsafe(ref ra, 8), a2 = Vector256.LoadUnsafe(ref ra, 16);
            Vector256<float> a3 = Vector256.LoadUnsafe(ref ra, 24), a4 = Vector256.LoadUnsafe(ref ra, 32), a5 = Vector256.LoadUnsafe(ref ra, 40);
            Vector256<float> b0 = Vector256.LoadUnsafe(ref rb), b1 = Vector256.LoadUnsafe(ref rb, 8), b2 = Vector256.LoadUnsafe(ref rb, 16);
            Vector256<float> b3 = Vector256.LoadUnsafe(ref rb, 24), b4 = Vector256.LoadUnsafe(ref rb, 32), b5 = Vector256.LoadUnsafe(ref rb, 40);
            Vector128<byte>[] m = layout == PixelLayout.Planar ? s_interleaveMasks : s_swapMasks;
            bool copy = layout == PixelLayout.Interleaved && order == ChannelOrder.Rgb;
            for (; i <= pixelCount - 16; i += 16)
            {
                Vector128<byte> s0, s1, s2;
                if (layout == PixelLayout.Planar)
                {
                    s0 = Vector128.LoadUnsafe(ref src, (nuint)((first * pixelCount) + i));
                    s1 = Vector128.LoadUnsafe(ref src, (nuint)(pixelCount + i));
                    s2 = Vector128.LoadUnsafe(ref src, (nuint)((last * pixelCount) + i));
                }
                else
                {
                    ref byte block = ref Unsafe.Add(ref src, i * 3);
                    s0 = Vector128.LoadUnsafe(ref block);
                    s1 = Vector128.LoadUnsafe(ref block, 16);
                    s2 = Vector128.LoadUnsafe(ref block, 32);
                }

                if (!copy)
                {
                    (s0, s1, s2) = (
                        Lookup(s0, m[0]) | Lookup(s1, m[1]) | Lookup(s2, m[2]),
                        Lookup(s0, m[3]) | Lookup(s1, m[4]) | Lookup(s2, m[5]),
                        Lookup(s0, m[6]) | Lookup(s1, m[7]) | Lookup(s2, m[8]));
                }

                int at = i * 3;
                Affine16(s0, a0, a1, b0, b1, ref dst, at, writer);
                Affine16(s1, a2, a3, b2, b3, ref dst, at + 16, writer);
                Affine16(s2, a4, a5, b4, b5, ref dst, at + 32, writer);
            }
        }

        for (; i < pixelCount; i++)
        {
            (byte c0, byte c1, byte c2) = layout == PixelLayout.Planar
                ? (Unsafe.Add(ref src, (first * pixelCount) + i), Unsafe.Add(ref src, pixelCount + i), Unsafe.Add(ref src, (last * pixelCount) + i))
                : (Unsafe.Add(ref src, (i * 3) + first), Unsafe.Add(ref src, (i * 3) + 1), Unsafe.Add(ref src, (i * 3) + last));
            writer.Write(ref dst, i * 3, (c0 * affine.A0) + affine.B0);
            writer.Write(ref dst, (i * 3) + 1, (c1 * affine.A1) + affine.B1);
            writer.Write(ref dst, (i * 3) + 2, (c2 * affine.A2) + affine.B2);
        }
    }

    private static void NormalizePlane<TWriter>(ref byte src, int count, float alpha, float beta, ref byte plane, TWriter writer)
        where TWriter : struct, IPlaneWriter
    {
        int i = 0;
        if (Vector128.IsHardwareAccelerated)
        {
            for (; i <= count - 16; i += 16)
            {
                Affine16(Vector128.LoadUnsafe(ref src, (nuint)i), alpha, beta, ref plane, i, writer);
            }
        }

        for (; i < count; i++)
        {
            writer.Write(ref plane, i, (Unsafe.Add(ref src, i) * alpha) + beta);
        }
    }

    /// <summary>16 bytes of one channel to 16 normalised values, stored by the writer.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Affine16<TWriter>(Vector128<byte> bytes, float alpha, float beta, ref byte plane, int index, TWriter writer)
        where TWriter : struct, IPlaneWriter
    {
        Vector256<float> a = Vector256.Create(alpha);
        Vector256<float> b = Vector256.Create(beta);
        Affine16(bytes, a, a, b, b, ref plane, index, writer);
    }

    /// <summary>16 bytes to 16 values with per-position alpha/beta (values 0..7 from the Lo vectors, 8..15 from the Hi ones).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Affine16<TWriter>(
        Vector128<byte> bytes, Vector256<float> aLo, Vector256<float> aHi, Vector256<float> bLo, Vector256<float> bHi, ref byte plane, int index, TWriter writer)
        where TWriter : struct, IPlaneWriter
    {
        if (Avx2.IsSupported)
        {
            Vector256<float> lo = (Avx.ConvertToVector256Single(Avx2.ConvertToVector256Int32(bytes)) * aLo) + bLo;
            Vector256<float> hi = (Avx.ConvertToVector256Single(Avx2.ConvertToVector256Int32(Sse2.ShiftRightLogical128BitLane(bytes, 8))) * aHi) + bHi;
            writer.Write16(ref plane, index, lo.GetLower(), lo.GetUpper(), hi.GetLower(), hi.GetUpper());
            return;
        }

        (Vector128<ushort> w0, Vector128<ushort> w1) = Vector128.Widen(bytes);
        (Vector128<uint> d0, Vector128<uint> d1) = Vector128.Widen(w0);
        (Vector128<uint> d2, Vector128<uint> d3) = Vector128.Widen(w1);
        writer.Write16(
            ref plane,
            index,
            (Vector128.ConvertToSingle(d0.AsInt32()) * aLo.GetLower()) + bLo.GetLower(),
            (Vector128.ConvertToSingle(d1.AsInt32()) * aLo.GetUpper()) + bLo.GetUpper(),
            (Vector128.ConvertToSingle(d2.AsInt32()) * aHi.GetLower()) + bHi.GetLower(),
            (Vector128.ConvertToSingle(d3.AsInt32()) * aHi.GetUpper()) + bHi.GetUpper());
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector128<byte> Lookup(Vector128<byte> source, Vector128<byte> mask)
    {
        if (Ssse3.IsSupported)
        {
            return Ssse3.Shuffle(source, mask);
        }

        if (AdvSimd.Arm64.IsSupported)
        {
            return AdvSimd.Arm64.VectorTableLookup(source, mask);
        }

        throw new PlatformNotSupportedException("No byte shuffle on this CPU; the scalar path should have been taken.");
    }

    /// <summary>
    /// Shuffle masks for moving 48 bytes (three source vectors) into another order: output byte o
    /// comes from source byte <paramref name="source"/>(o). Mask 3k + v picks, for output vector k,
    /// the bytes that lie in source vector v (0x80 elsewhere, which yields 0 on pshufb and tbl).
    /// </summary>
    private static Vector128<byte>[] CreateMasks(Func<int, int> source)
    {
        var masks = new Vector128<byte>[9];
        Span<byte> m = stackalloc byte[16];
        for (int output = 0; output < 3; output++)
        {
            for (int vector = 0; vector < 3; vector++)
            {
                for (int p = 0; p < 16; p++)
                {
                    int position = source((output * 16) + p) - (vector * 16);
                    m[p] = position is >= 0 and < 16 ? (byte)position : (byte)0x80;
                }

                masks[(output * 3) + vector] = Vector128.Create((ReadOnlySpan<byte>)m);
            }
        }

        return masks;
    }
}

/// <summary>Per-plane <c>value = pixel * A + B</c> in network plane order.</summary>
internal readonly struct ChannelAffine
{
    public ChannelAffine(PreprocessingOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        double scale = options.Scale;
        A0 = (float)(scale / options.Std[0]);
        A1 = (float)(scale / options.Std[1]);
        A2 = (float)(scale / options.Std[2]);
        B0 = (float)(-options.Mean[0] / (double)options.Std[0]);
        B1 = (float)(-options.Mean[1] / (double)options.Std[1]);
        B2 = (float)(-options.Mean[2] / (double)options.Std[2]);
    }

    public float A0 { get; }

    public float A1 { get; }

    public float A2 { get; }

    public float B0 { get; }

    public float B1 { get; }

    public float B2 { get; }
}
