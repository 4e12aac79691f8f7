using System.Runtime.InteropServices;
using SimClrV2.Sophon.Tpu.Interop;

namespace SimClrV2.Sophon.Tpu;

/// <summary><c>bm_data_type_t</c>.</summary>
internal enum SophonDataType
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
/// <param name="Scale">Quantisation scale (1 for float tensors): inputs <c>q = round(x * scale) + zero point</c>, outputs <c>y = (q - zero point) * scale</c>.</param>
/// <param name="ZeroPoint">Quantisation zero point (non-zero for TPU-MLIR's asymmetric INT8 models; 0 for float tensors).</param>
internal sealed record SophonTensorInfo(string Name, SophonDataType DataType, float Scale, int ZeroPoint);

/// <summary>One stage of a network: a compiled set of shapes (one batch size).</summary>
internal sealed class SophonStage
{
    /// <summary>Creates a stage.</summary>
    /// <param name="inputShapes">Per input, its dims.</param>
    /// <param name="outputShapes">Per output, its dims.</param>
    public SophonStage(IReadOnlyList<IReadOnlyList<int>> inputShapes, IReadOnlyList<IReadOnlyList<int>> outputShapes)
    {
        ArgumentNullException.ThrowIfNull(inputShapes);
        ArgumentNullException.ThrowIfNull(outputShapes);
        InputShapes = inputShapes;
        OutputShapes = outputShapes;
    }

    /// <summary>Per input, its dims.</summary>
    public IReadOnlyList<IReadOnlyList<int>> InputShapes { get; }

    /// <summary>Per output, its dims.</summary>
    public IReadOnlyList<IReadOnlyList<int>> OutputShapes { get; }

    /// <summary>The batch dimension of the first input.</summary>
    public int BatchSize => InputShapes.Count > 0 && InputShapes[0].Count > 0 ? InputShapes[0][0] : 1;

    /// <inheritdoc />
    public override string ToString() =>
        $"inputs {string.Join(", ", InputShapes.Select(s => $"[{string.Join("x", s)}]"))} -> outputs {string.Join(", ", OutputShapes.Select(s => $"[{string.Join("x", s)}]"))}";
}

/// <summary>
/// What <c>bmrt_get_network_info</c> says of a network, read and validated field by field. A
/// snapshot with reference equality (its lists are compared by nobody).
/// </summary>
internal sealed class SophonNetworkInfo
{
    /// <summary>Creates the info.</summary>
    /// <param name="name">Network name.</param>
    /// <param name="isDynamic">Whether shapes are dynamic.</param>
    /// <param name="inputs">Inputs.</param>
    /// <param name="outputs">Outputs.</param>
    /// <param name="stages">Stages (batch sizes).</param>
    /// <param name="maxInputBytes">Per input, the largest byte size over stages.</param>
    /// <param name="maxOutputBytes">Per output, the largest byte size over stages.</param>
    public SophonNetworkInfo(
        string name,
        bool isDynamic,
        IReadOnlyList<SophonTensorInfo> inputs,
        IReadOnlyList<SophonTensorInfo> outputs,
        IReadOnlyList<SophonStage> stages,
        IReadOnlyList<long> maxInputBytes,
        IReadOnlyList<long> maxOutputBytes)
    {
        Name = name;
        IsDynamic = isDynamic;
        Inputs = inputs;
        Outputs = outputs;
        Stages = stages;
        MaxInputBytes = maxInputBytes;
        MaxOutputBytes = maxOutputBytes;
    }

    /// <summary>Network name.</summary>
    public string Name { get; }

    /// <summary>Whether shapes are dynamic.</summary>
    public bool IsDynamic { get; }

    /// <summary>Inputs.</summary>
    public IReadOnlyList<SophonTensorInfo> Inputs { get; }

    /// <summary>Outputs.</summary>
    public IReadOnlyList<SophonTensorInfo> Outputs { get; }

    /// <summary>Stages (batch sizes).</summary>
    public IReadOnlyList<SophonStage> Stages { get; }

    /// <summary>Per input, the largest byte size over stages.</summary>
    public IReadOnlyList<long> MaxInputBytes { get; }

    /// <summary>Per output, the largest byte size over stages.</summary>
    public IReadOnlyList<long> MaxOutputBytes { get; }

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

    /// <summary>
    /// Reads a network's info through the runtime-owned pointer, validating every value before it is
    /// used, and every pointer (non-NULL, aligned) before it is followed; nothing past
    /// <c>output_zero_point</c> is read. Stages after the first are read only when the stage layout
    /// is known: the layout decides where they are, and a wrong guess would follow garbage.
    /// </summary>
    /// <param name="info">The <c>bm_net_info_t*</c>.</param>
    /// <param name="layout">The loaded runtime's <c>bm_stage_info_t</c> layout; <see cref="SophonStageLayout.Auto"/> when it could not be told.</param>
    /// <returns>The info.</returns>
    /// <exception cref="SophonModelException">A value is out of range, or the stage layout is unknown and the network has several stages.</exception>
    internal static SophonNetworkInfo Read(IntPtr info, SophonStageLayout layout)
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
        IntPtr stages = Aligned(Marshal.ReadIntPtr(info, NetInfoOffsets.Stages), IntPtr.Size, name, "stages");
        if (stageNum > 1 && layout == SophonStageLayout.Auto)
        {
            throw new SophonModelException($"Network '{name}' has {stageNum} stages, and the bm_stage_info_t layout of the loaded libbmrt cannot be told (it was loaded by the host, not by SophonLibrary): reading stages after the first with the wrong layout would follow invalid pointers. Set SophonLibraryOptions.StageLayout to Extended (libsophon 0.5.1 and later) or Legacy (0.5.0 and earlier).");
        }

        int stride = layout == SophonStageLayout.Legacy ? NetInfoOffsets.LegacyStageSize : NetInfoOffsets.StageSize;
        var stageList = new SophonStage[stageNum];
        for (int s = 0; s < stageNum; s++)
        {
            IntPtr stage = stages + (s * stride);
            stageList[s] = new SophonStage(
                Shapes(Marshal.ReadIntPtr(stage, NetInfoOffsets.StageInputShapes), inputNum, isDynamic, name, $"stage {s} input"),
                Shapes(Marshal.ReadIntPtr(stage, NetInfoOffsets.StageOutputShapes), outputNum, isDynamic, name, $"stage {s} output"));
        }

        long[] maxIn = Sizes(Aligned(Marshal.ReadIntPtr(info, NetInfoOffsets.MaxInputBytes), sizeof(long), name, "max_input_bytes"), inputNum);
        long[] maxOut = Sizes(Aligned(Marshal.ReadIntPtr(info, NetInfoOffsets.MaxOutputBytes), sizeof(long), name, "max_output_bytes"), outputNum);
        return new SophonNetworkInfo(name, isDynamic, inputs, outputs, stageList, maxIn, maxOut);
    }

    private static SophonTensorInfo[] Tensors(IntPtr info, int count, int namesOffset, int dtypesOffset, int scalesOffset, int zeroOffset, string net)
    {
        IntPtr names = Aligned(Marshal.ReadIntPtr(info, namesOffset), IntPtr.Size, net, "tensor names");
        IntPtr dtypes = Aligned(Marshal.ReadIntPtr(info, dtypesOffset), sizeof(int), net, "tensor dtypes");
        IntPtr scales = Aligned(Marshal.ReadIntPtr(info, scalesOffset), sizeof(float), net, "tensor scales");
        IntPtr zeros = Marshal.ReadIntPtr(info, zeroOffset);
        if (zeros != IntPtr.Zero)
        {
            Aligned(zeros, sizeof(int), net, "tensor zero points");
        }
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

            var type = (SophonDataType)dtype;
            int zeroPoint = zeros == IntPtr.Zero ? 0 : Marshal.ReadInt32(zeros, i * 4);
            (int min, int max) = type switch { SophonDataType.Int8 => (-128, 127), SophonDataType.UInt8 => (0, 255), _ => (0, 0) };
            if (type is SophonDataType.Int8 or SophonDataType.UInt8 && (zeroPoint < min || zeroPoint > max))
            {
                throw new SophonModelException($"Network '{net}': tensor {i} ({type}) has zero point {zeroPoint}, outside the type's range {min}..{max}; the model cannot be run correctly.");
            }

            tensors[i] = new SophonTensorInfo(
                Utf8(Marshal.ReadIntPtr(names, i * IntPtr.Size), $"network '{net}' tensor {i} name"),
                type,
                scale,
                type is SophonDataType.Int8 or SophonDataType.UInt8 ? zeroPoint : 0);
        }

        return tensors;
    }

    private static IReadOnlyList<int>[] Shapes(IntPtr shapes, int count, bool isDynamic, string net, string what)
    {
        Aligned(shapes, sizeof(int), net, what + " shapes");
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

    /// <summary>A pointer this reader may follow: not NULL and aligned for what it points to (a misread layout gives neither).</summary>
    private static IntPtr Aligned(IntPtr p, int alignment, string net, string field) =>
        p == IntPtr.Zero ? throw new SophonModelException($"Network '{net}': {field} is NULL.")
        : p % alignment != 0 ? throw new SophonModelException($"Network '{net}': {field} points to 0x{p:X}, which is not {alignment}-byte aligned, so the model or the assumed structure layout is not what this library can read safely.")
        : p;

    private static string Utf8(IntPtr p, string what) =>
        p != IntPtr.Zero ? Marshal.PtrToStringUTF8(p) ?? string.Empty : throw new SophonModelException($"The {what} is NULL.");
}
