using System.Runtime.InteropServices;
using SimClrV2.Sophon.Infer;

namespace SimClrV2.Sophon.Tpu;

/// <summary>Turns a network's raw output (its dtype) into floats: FP32 as is, FP16 widened, INT8/UINT8 by <see cref="Quantization"/> with the output's scale and zero point.</summary>
internal static class OutputDecoder
{
    /// <summary>Throws unless the output's dtype can be decoded.</summary>
    /// <returns>The output.</returns>
    public static SophonTensorInfo Check(SophonTensorInfo output) =>
        output.DataType is SophonDataType.Float32 or SophonDataType.Float16 or SophonDataType.Int8 or SophonDataType.UInt8
            ? output
            : throw new SophonModelException($"Output '{output.Name}' is {output.DataType}; FLOAT32, FLOAT16, INT8 or UINT8 outputs are supported.");

    /// <summary>Decodes raw output bytes into <paramref name="destination"/>.</summary>
    public static void Decode(ReadOnlySpan<byte> raw, SophonTensorInfo output, Span<float> destination)
    {
        switch (output.DataType)
        {
            case SophonDataType.Float32:
                MemoryMarshal.Cast<byte, float>(raw).CopyTo(destination);
                break;
            case SophonDataType.Float16:
                System.Numerics.Tensors.TensorPrimitives.ConvertToSingle(MemoryMarshal.Cast<byte, Half>(raw), destination);
                break;
            case SophonDataType.Int8:
                Quantization.FromInt8(MemoryMarshal.Cast<byte, sbyte>(raw), output.Scale, output.ZeroPoint, destination);
                break;
            case SophonDataType.UInt8:
                Quantization.FromUInt8(raw, output.Scale, output.ZeroPoint, destination);
                break;
            default:
                Check(output);
                break;
        }
    }
}
