using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using SimClrV2.Sophon.Infer;

namespace SimClrV2.Sophon.Preprocess;

/// <summary>
/// Stores normalised values into one plane of the input tensor in the engine's element type.
/// Implemented by structs so the generic kernel is specialised per type (no virtual calls).
/// </summary>
internal interface IPlaneWriter
{
    /// <summary>Bytes per stored element.</summary>
    static abstract int ElementSize { get; }

    /// <summary>Stores 16 consecutive values (four vectors) at element <paramref name="index"/>.</summary>
    void Write16(ref byte plane, int index, Vector128<float> v0, Vector128<float> v1, Vector128<float> v2, Vector128<float> v3);

    /// <summary>Stores one value at element <paramref name="index"/>.</summary>
    void Write(ref byte plane, int index, float value);
}

/// <summary>FP32: values stored as they are.</summary>
internal readonly struct Float32Writer : IPlaneWriter
{
    public static int ElementSize => sizeof(float);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Write16(ref byte plane, int index, Vector128<float> v0, Vector128<float> v1, Vector128<float> v2, Vector128<float> v3)
    {
        ref float dst = ref Unsafe.As<byte, float>(ref plane);
        nuint i = (nuint)index;
        v0.StoreUnsafe(ref dst, i);
        v1.StoreUnsafe(ref dst, i + 4);
        v2.StoreUnsafe(ref dst, i + 8);
        v3.StoreUnsafe(ref dst, i + 12);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Write(ref byte plane, int index, float value) => Unsafe.Add(ref Unsafe.As<byte, float>(ref plane), index) = value;
}

/// <summary>INT8 by <see cref="Quantization"/>'s rule: <c>q = round(x * scale + zero_point)</c>, half to even, saturated to [-128, 127].</summary>
internal readonly struct Int8Writer(float scale, int zeroPoint) : IPlaneWriter
{
    public static int ElementSize => 1;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Write16(ref byte plane, int index, Vector128<float> v0, Vector128<float> v1, Vector128<float> v2, Vector128<float> v3)
    {
        if (Sse2.IsSupported)
        {
            // cvtps2dq rounds half to even (default MXCSR); the values are already clamped, so the
            // saturating packs are exact.
            Vector128<short> a = Sse2.PackSignedSaturate(Sse2.ConvertToVector128Int32(Clamp(v0)), Sse2.ConvertToVector128Int32(Clamp(v1)));
            Vector128<short> b = Sse2.PackSignedSaturate(Sse2.ConvertToVector128Int32(Clamp(v2)), Sse2.ConvertToVector128Int32(Clamp(v3)));
            Sse2.PackSignedSaturate(a, b).AsByte().StoreUnsafe(ref plane, (nuint)index);
            return;
        }

        Vector128<short> lo = Vector128.Narrow(Quantize(v0), Quantize(v1));
        Vector128<short> hi = Vector128.Narrow(Quantize(v2), Quantize(v3));
        Vector128.Narrow(lo, hi).AsByte().StoreUnsafe(ref plane, (nuint)index);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Write(ref byte plane, int index, float value) =>
        Unsafe.Add(ref plane, index) = (byte)Quantization.ToInt8(value, scale, zeroPoint);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private Vector128<float> Clamp(Vector128<float> v) =>
        Vector128.Min(Vector128.Max((v * scale) + Vector128.Create((float)zeroPoint), Vector128.Create(Quantization.Int8Min)), Vector128.Create(Quantization.Int8Max));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private Vector128<int> Quantize(Vector128<float> v) => Vector128.ConvertToInt32(Rounding.RoundToEven(Clamp(v)));
}

/// <summary>UINT8 by <see cref="Quantization"/>'s rule: <c>q = round(x * scale + zero_point)</c>, half to even, saturated to [0, 255].</summary>
internal readonly struct UInt8Writer(float scale, int zeroPoint) : IPlaneWriter
{
    public static int ElementSize => 1;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Write16(ref byte plane, int index, Vector128<float> v0, Vector128<float> v1, Vector128<float> v2, Vector128<float> v3)
    {
        Vector128<ushort> lo = Vector128.Narrow(Quantize(v0), Quantize(v1));
        Vector128<ushort> hi = Vector128.Narrow(Quantize(v2), Quantize(v3));
        Vector128.Narrow(lo, hi).StoreUnsafe(ref plane, (nuint)index);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Write(ref byte plane, int index, float value) =>
        Unsafe.Add(ref plane, index) = Quantization.ToUInt8(value, scale, zeroPoint);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private Vector128<uint> Quantize(Vector128<float> v) =>
        Vector128.ConvertToInt32(Rounding.RoundToEven(Vector128.Min(Vector128.Max((v * scale) + Vector128.Create((float)zeroPoint), Vector128<float>.Zero), Vector128.Create(Quantization.UInt8Max)))).AsUInt32();
}

/// <summary>Vector rounding that behaves the same on .NET 8 and later.</summary>
internal static class Rounding
{
    /// <summary>
    /// Rounds half to even for |x| &lt; 2^22 (callers clamp first): adding and subtracting
    /// 1.5 x 2^23 leaves the integer the FPU's round-to-nearest-even mode picks.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> RoundToEven(Vector128<float> x)
    {
        Vector128<float> magic = Vector128.Create(12582912f);
        return (x + magic) - magic;
    }
}

/// <summary>Element-type dispatch shared by the preprocessing paths.</summary>
internal static class PlaneWriterExtensions
{
    public static ref byte PlaneStart<TWriter>(Span<byte> destination, int plane, int pixelsPerPlane)
        where TWriter : struct, IPlaneWriter =>
        ref Unsafe.Add(ref MemoryMarshal.GetReference(destination), plane * pixelsPerPlane * TWriter.ElementSize);
}
