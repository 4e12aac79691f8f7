using System.Runtime.InteropServices;
using SimClrV2.Sophon.Tpu.Interop;

namespace SimClrV2.Sophon.Tpu;

/// <summary><c>bm_data_type_t</c>.</summary>
public enum SophonDataType
{
    /// <summary>32-bit float.</summary>
    Float32 = 0,

    /// <summary>IEEE half (<see cref="Half"/>).</summary>
    Float16 = 1,

    /// <summary>Signed 8-bit, quantised.</summary>
    Int8 = 2,

    /// <summary>Unsigned 8-bit, quantised.</summary>
    UInt8 = 3,

    /// <summary>Signed 16-bit.</summary>
    Int16 = 4,

    /// <summary>Unsigned 16-bit.</summary>
    UInt16 = 5,

    /// <summary>Signed 32-bit.</summary>
    Int32 = 6,

    /// <summary>Unsigned 32-bit.</summary>
    UInt32 = 7,

    /// <summary>bfloat16.</summary>
    BFloat16 = 8,

    /// <summary>Signed 4-bit.</summary>
    Int4 = 9,

    /// <summary>Unsigned 4-bit.</summary>
    UInt4 = 10,
}

/// <summary>One input or output of a network.</summary>
/// <param name="Name">Tensor name.</param>
/// <param name="DataType">Element type.</param>
/// <param name="Scale">Quantisation scale (1 for float tensors): inputs <c>q = round(x * scale)</c>, outputs <c>y = q * scale</c>.</param>
/// <param name="ZeroPoint">Quantisation zero point.</param>
public sealed record SophonTensorInfo(string Name, SophonDataType DataType, float Scale, int ZeroPoint);

/// <summary>One stage of a network: a compiled set of shapes (one batch size).</summary>
/// <param name="InputShapes">Per input.</param>
/// <param name="OutputShapes">Per output.</param>
public sealed record SophonStage(IReadOnlyList<IReadOnlyList<int>> InputShapes, IReadOnlyList<IReadOnlyList<int>> OutputShapes)
{
    /// <summary>The batch dimension of the first input.</summary>
    public int BatchSize => InputShapes[0].Count > 0 ? InputShapes[0][0] : 1;
}

/// <summary>What <c>bmrt_get_network_info</c> says of a network, read and validated field by field.</summary>
/// <param name="Name">Network name.</param>
/// <param name="IsDynamic">Whether shapes are dynamic.</param>
/// <param name="Inputs">Inputs.</param>
/// <param name="Outputs">Outputs.</param>
/// <param name="Stages">Stages (batch sizes).</param>
/// <param name="MaxInputBytes">Per input, the largest byte size over stages.</param>
/// <param name="MaxOutputBytes">Per output, the largest byte size over stages.</param>
public sealed record SophonNetworkInfo(
    string Name,
    bool IsDynamic,
    IReadOnlyList<SophonTensorInfo> Inputs,
    IReadOnlyList<SophonTensorInfo> Outputs,
    IReadOnlyList<SophonStage> Stages,
    IReadOnlyList<long> MaxInputBytes,
    IReadOnlyList<long> MaxOutputBytes)
{
    private const int MaxTensors = 64;
    private const int MaxStages = 64;

    /// <summary>Bytes per element of a data type.</summary>
    /// <param name="type">The type.</param>
    /// <returns>4, 2 or 1 (4-bit types are stored one per byte).</returns>
    public static int ElementSize(SophonDataType type) => type switch
    {
        SophonDataType.Float32 or SophonDataType.Int32 or SophonDataType.UInt32 => 4,
        SophonDataType.Float16 or SophonDataType.BFloat16 or SophonDataType.Int16 or SophonDataType.UInt16 => 2,
        SophonDataType.Int8 or SophonDataType.UInt8 or SophonDataType.Int4 or SophonDataType.UInt4 => 1,
        _ => throw new ArgumentOutOfRangeException(nameof(type), type, "Unknown SOPHON data type."),
    };

    /// <summary>Reads a network's info through the runtime-owned pointer, validating every value; nothing past <c>output_zero_point</c> is read.</summary>
    /// <param name="info">The <c>bm_net_info_t*</c>.</param>
    /// <param name="extendedStages">True for the 32-byte stage layout (libsophon 0.5.1+), false for the 16-byte one.</param>
    /// <returns>The info.</returns>
    /// <exception cref="SophonModelException">A value is out of range: the model cannot be read safely.</exception>
    internal static SophonNetworkInfo Read(IntPtr info, bool extendedStages)
    {
        if (info == IntPtr.Zero)
        {
            throw new SophonModelException("bmrt_get_network_info returned NULL.");
        }

        string name = Utf8(Marshal.ReadIntPtr(info, NetInfoOffsets.Name), "network name");
        bool isDynamic = Marshal.ReadByte(info, NetInfoOffsets.IsDynamic) != 0;
        int inputNum = Count(Marshal.ReadInt32(info, NetInfoOffsets.InputNum), MaxTensors, name, "input_num");
        int outputNum = Count(Marshal.ReadInt32(info, NetInfoOffsets.OutputNum), MaxTensors, name, "output_num");
        SophonTensorInfo[] inputs = Tensors(info, inputNum, NetInfoOffsets.InputNames, NetInfoOffsets.InputDTypes, NetInfoOffsets.InputScales, NetInfoOffsets.InputZeroPoint, name);
        SophonTensorInfo[] outputs = Tensors(info, outputNum, NetInfoOffsets.OutputNames, NetInfoOffsets.OutputDTypes, NetInfoOffsets.OutputScales, NetInfoOffsets.OutputZeroPoint, name);
        int stageNum = Count(Marshal.ReadInt32(info, NetInfoOffsets.StageNum), MaxStages, name, "stage_num");
        IntPtr stages = NotNull(Marshal.ReadIntPtr(info, NetInfoOffsets.Stages), name, "stages");
        int stride = extendedStages ? NetInfoOffsets.StageSize : NetInfoOffsets.LegacyStageSize;
        var stageList = new SophonStage[stageNum];
        for (int s = 0; s < stageNum; s++)
        {
            IntPtr stage = stages + (s * stride);
            stageList[s] = new SophonStage(
                Shapes(Marshal.ReadIntPtr(stage, 0), inputNum, isDynamic, name, $"stage {s} input"),
                Shapes(Marshal.ReadIntPtr(stage, IntPtr.Size), outputNum, isDynamic, name, $"stage {s} output"));
        }

        long[] maxIn = Sizes(NotNull(Marshal.ReadIntPtr(info, NetInfoOffsets.MaxInputBytes), name, "max_input_bytes"), inputNum);
        long[] maxOut = Sizes(NotNull(Marshal.ReadIntPtr(info, NetInfoOffsets.MaxOutputBytes), name, "max_output_bytes"), outputNum);
        return new SophonNetworkInfo(name, isDynamic, inputs, outputs, stageList, maxIn, maxOut);
    }

    private static SophonTensorInfo[] Tensors(IntPtr info, int count, int namesOffset, int dtypesOffset, int scalesOffset, int zeroOffset, string net)
    {
        IntPtr names = NotNull(Marshal.ReadIntPtr(info, namesOffset), net, "tensor names");
        IntPtr dtypes = NotNull(Marshal.ReadIntPtr(info, dtypesOffset), net, "tensor dtypes");
        IntPtr scales = NotNull(Marshal.ReadIntPtr(info, scalesOffset), net, "tensor scales");
        IntPtr zeros = Marshal.ReadIntPtr(info, zeroOffset);
        var tensors = new SophonTensorInfo[count];
        for (int i = 0; i < count; i++)
        {
            int dtype = Marshal.ReadInt32(dtypes, i * 4);
            if (!Enum.IsDefined((SophonDataType)dtype))
            {
                throw new SophonModelException($"Network '{net}': tensor {i} has data type {dtype}, which is not a known bm_data_type_t (0..10); the bmodel cannot be read safely.");
            }

            float scale = BitConverter.Int32BitsToSingle(Marshal.ReadInt32(scales, i * 4));
            if (!float.IsFinite(scale) || scale <= 0)
            {
                throw new SophonModelException($"Network '{net}': tensor {i} has scale {scale}; a positive finite scale is required.");
            }

            tensors[i] = new SophonTensorInfo(
                Utf8(Marshal.ReadIntPtr(names, i * IntPtr.Size), $"network '{net}' tensor {i} name"),
                (SophonDataType)dtype,
                scale,
                zeros == IntPtr.Zero ? 0 : Marshal.ReadInt32(zeros, i * 4));
        }

        return tensors;
    }

    private static IReadOnlyList<int>[] Shapes(IntPtr shapes, int count, bool isDynamic, string net, string what)
    {
        NotNull(shapes, net, what + " shapes");
        var result = new IReadOnlyList<int>[count];
        for (int i = 0; i < count; i++)
        {
            IntPtr shape = shapes + (i * 36);
            int numDims = Marshal.ReadInt32(shape, 0);
            if (numDims is < 0 or > BmShape.MaxDims)
            {
                throw new SophonModelException($"Network '{net}': {what} {i} has {numDims} dims; 0..8 are possible, so the stage layout or the model is not what this library can read safely.");
            }

            var dims = new int[numDims];
            for (int d = 0; d < numDims; d++)
            {
                dims[d] = Marshal.ReadInt32(shape, 4 + (d * 4));
                if (dims[d] <= 0 && !isDynamic)
                {
                    throw new SophonModelException($"Network '{net}': {what} {i} dim {d} is {dims[d]}; static networks have positive dims.");
                }
            }

            result[i] = dims;
        }

        return result;
    }

    private static long[] Sizes(IntPtr values, int count)
    {
        var sizes = new long[count];
        for (int i = 0; i < count; i++)
        {
            sizes[i] = Marshal.ReadInt64(values, i * 8);
        }

        return sizes;
    }

    private static int Count(int value, int max, string net, string field) =>
        value >= 1 && value <= max ? value : throw new SophonModelException($"Network '{net}': {field} is {value}; 1..{max} is expected, so the model cannot be read safely.");

    private static IntPtr NotNull(IntPtr p, string net, string field) =>
        p != IntPtr.Zero ? p : throw new SophonModelException($"Network '{net}': {field} is NULL.");

    private static string Utf8(IntPtr p, string what) =>
        p != IntPtr.Zero ? Marshal.PtrToStringUTF8(p) ?? string.Empty : throw new SophonModelException($"The {what} is NULL.");
}
