using System.Runtime.CompilerServices;

namespace SimClrV2.Sophon.Infer;

/// <summary>
/// The one quantisation rule of the library, shared by the CPU preprocessor, the BMCV
/// preprocessor's parameters and the SOPHON engine's output decoding:
/// <c>q = saturate(round_half_even(x * scale + zero_point))</c> with INT8 saturating to [-128, 127]
/// (what BMCV's <c>convert_to</c> does to 1N_BYTE_SIGNED) and UINT8 to [0, 255]; back,
/// <c>x = (q - zero_point) * scale</c>. The zero point is added before rounding, because BMCV folds
/// it into <c>beta</c>; the vendor's <c>round(x * scale) + zero_point</c> differs only on exact ties.
/// </summary>
internal static class Quantization
{
    /// <summary>Smallest INT8 value (BMCV saturates to it; sophon-sail's host path would stop at -127).</summary>
    public const float Int8Min = -128f;

    /// <summary>Largest INT8 value.</summary>
    public const float Int8Max = 127f;

    /// <summary>Largest UINT8 value.</summary>
    public const float UInt8Max = 255f;

    /// <summary>Quantises one value to INT8.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static sbyte ToInt8(float x, float scale, int zeroPoint) =>
        (sbyte)MathF.Round(Math.Clamp((x * scale) + zeroPoint, Int8Min, Int8Max), MidpointRounding.ToEven);

    /// <summary>Quantises one value to UINT8.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static byte ToUInt8(float x, float scale, int zeroPoint) =>
        (byte)MathF.Round(Math.Clamp((x * scale) + zeroPoint, 0f, UInt8Max), MidpointRounding.ToEven);

    /// <summary>Dequantises INT8 values: <c>(q - zero_point) * scale</c>.</summary>
    public static void FromInt8(ReadOnlySpan<sbyte> q, float scale, int zeroPoint, Span<float> destination)
    {
        for (int i = 0; i < q.Length; i++)
        {
            destination[i] = (q[i] - zeroPoint) * scale;
        }
    }

    /// <summary>Dequantises UINT8 values: <c>(q - zero_point) * scale</c>.</summary>
    public static void FromUInt8(ReadOnlySpan<byte> q, float scale, int zeroPoint, Span<float> destination)
    {
        for (int i = 0; i < q.Length; i++)
        {
            destination[i] = (q[i] - zeroPoint) * scale;
        }
    }
}
