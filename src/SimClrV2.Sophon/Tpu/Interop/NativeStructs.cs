using System.Runtime.InteropServices;

namespace SimClrV2.Sophon.Tpu.Interop;

/// <summary><c>bm_device_mem_t</c>: 24 bytes, passed by value to most bmlib functions.</summary>
[StructLayout(LayoutKind.Sequential, Size = 24)]
internal struct BmDeviceMem
{
    public ulong DeviceAddress; // 0
    public uint Reserved;       // 8
    public int DmaBufFd;        // 12
    public uint Flags;          // 16: bits 0-2 memory type, 3-5 heap id
    public uint Size;           // 20
}

/// <summary><c>bm_dev_stat_t</c> (64 bytes): device memory in MiB, TPU utilisation, up to 4 heaps of 3 uints each.</summary>
[StructLayout(LayoutKind.Sequential)]
internal unsafe struct BmDevStat
{
    public int MemTotal;
    public int MemUsed;
    public int TpuUtil;
    public int HeapNum;
    public fixed uint HeapStat[12];
}

/// <summary><c>bm_shape_t</c>: 36 bytes, at most 8 dims.</summary>
[StructLayout(LayoutKind.Sequential, Size = 36)]
internal unsafe struct BmShape
{
    public const int MaxDims = 8;
    public int NumDims;
    public fixed int Dims[MaxDims];

    public static BmShape From(ReadOnlySpan<int> dims)
    {
        if (dims.Length > MaxDims)
        {
            throw new ArgumentException($"A shape has at most {MaxDims} dims; got {dims.Length}.", nameof(dims));
        }

        var shape = new BmShape { NumDims = dims.Length };
        for (int i = 0; i < dims.Length; i++)
        {
            shape.Dims[i] = dims[i];
        }

        return shape;
    }
}

/// <summary><c>bm_tensor_t</c>: 72 bytes (dtype @0, shape @4, device_mem @40, st_mode @64).</summary>
[StructLayout(LayoutKind.Explicit, Size = 72)]
internal struct BmTensor
{
    [FieldOffset(0)]
    public int DType;

    [FieldOffset(4)]
    public BmShape Shape;

    [FieldOffset(40)]
    public BmDeviceMem DeviceMem;

    [FieldOffset(64)]
    public int StMode;
}

/// <summary>Field offsets of <c>bm_net_info_t</c>, read through the runtime-owned pointer. Nothing past <see cref="OutputZeroPoint"/> is read.</summary>
internal static class NetInfoOffsets
{
    public const int Name = 0;
    public const int IsDynamic = 8;
    public const int InputNum = 12;
    public const int InputNames = 16;
    public const int InputDTypes = 24;
    public const int InputScales = 32;
    public const int OutputNum = 40;
    public const int OutputNames = 48;
    public const int OutputDTypes = 56;
    public const int OutputScales = 64;
    public const int StageNum = 72;
    public const int Stages = 80;
    public const int MaxInputBytes = 88;
    public const int MaxOutputBytes = 96;
    public const int InputZeroPoint = 104;
    public const int OutputZeroPoint = 112;

    /// <summary><c>bm_stage_info_t</c> before libsophon 0.5.1: input_shapes, output_shapes.</summary>
    public const int LegacyStageSize = 16;

    /// <summary><c>bm_stage_info_t</c> from libsophon 0.5.1: adds input_mems, output_mems.</summary>
    public const int StageSize = 32;

    /// <summary><c>bm_stage_info_t.input_shapes</c> (a <c>bm_shape_t*</c>), in both layouts.</summary>
    public const int StageInputShapes = 0;

    /// <summary><c>bm_stage_info_t.output_shapes</c>, in both layouts.</summary>
    public const int StageOutputShapes = 8;
}

/// <summary><c>bm_image</c>: 24 bytes, passed by value; <c>image_private</c> is owned by bmcv.</summary>
[StructLayout(LayoutKind.Sequential, Size = 24)]
internal struct BmImage
{
    public int Width;                // 0
    public int Height;               // 4
    public BmImageFormat ImageFormat; // 8
    public BmImageDataType DataType;  // 12
    public IntPtr ImagePrivate;      // 16
}

/// <summary><c>bmcv_convert_to_attr</c>: y = alpha_c * x + beta_c per channel; 24 bytes, passed by value.</summary>
[StructLayout(LayoutKind.Sequential, Size = 24)]
internal struct BmcvConvertToAttr
{
    public float Alpha0;
    public float Beta0;
    public float Alpha1;
    public float Beta1;
    public float Alpha2;
    public float Beta2;
}

/// <summary><c>bm_image_format_ext</c> (the values the binding uses; later values are only appended by the vendor).</summary>
internal enum BmImageFormat
{
    /// <summary>Y, then U and V at half width and height (what the JPU gives for 4:2:0 JPEGs).</summary>
    Yuv420P = 0,

    /// <summary>Y, then U and V at half width.</summary>
    Yuv422P = 1,

    /// <summary>Y, U and V at full size.</summary>
    Yuv444P = 2,

    /// <summary>One plane holding three stacked channels, R first (1x3xHxW).</summary>
    RgbPlanar = 8,

    /// <summary>One plane holding three stacked channels, B first.</summary>
    BgrPlanar = 9,

    /// <summary>Interleaved RGBRGB...</summary>
    RgbPacked = 10,

    /// <summary>Interleaved BGRBGR...</summary>
    BgrPacked = 11,

    /// <summary>One grey plane (greyscale JPEGs).</summary>
    Gray = 14,
}

/// <summary><c>bm_image_data_format_ext</c>.</summary>
internal enum BmImageDataType
{
    /// <summary>DATA_TYPE_EXT_FLOAT32.</summary>
    Float32 = 0,

    /// <summary>DATA_TYPE_EXT_1N_BYTE: unsigned 8-bit.</summary>
    Byte = 1,

    /// <summary>DATA_TYPE_EXT_1N_BYTE_SIGNED: signed 8-bit (saturated to [-128, 127]).</summary>
    SignedByte = 3,
}

/// <summary><c>bmcv_rect_t</c> (16 bytes): a crop rectangle of a VPP input.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct BmcvRect
{
    public int StartX;
    public int StartY;
    public int Width;
    public int Height;
}

/// <summary><c>bmcv_padding_atrr_t</c> (sic; 24 bytes): the output rectangle a VPP pass writes into, and the fill around it.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct BmcvPaddingAttr
{
    public uint DstX;
    public uint DstY;
    public uint DstWidth;
    public uint DstHeight;
    public byte PadR;
    public byte PadG;
    public byte PadB;
    public int IfMemset;
}

/// <summary>bmcv constants used by the binding.</summary>
internal static class Bmcv
{
    public const int HeapAny = 2;
    public const int ResizeNearest = 0;
    public const int ResizeLinear = 1;

    /// <summary><c>CSC_YPbPr2RGB_BT601</c>: full-range BT.601, the JFIF colour space of JPEG data.</summary>
    public const int CscYPbPrToRgbBt601 = 1;

    /// <summary><c>CSC_MAX_ENUM</c>: the VPP chooses by format (YUV input: limited-range <c>YCbCr2RGB_BT601</c>; RGB input: none).</summary>
    public const int CscByFormat = 1001;

    /// <summary>Whether a <c>bm_image_format_ext</c> is a YUV (or grey) format (<c>is_csc_yuv_or_rgb</c> in libbmcv's bm1684x VPP source).</summary>
    public static bool IsYuv(BmImageFormat format) => (int)format is (>= 0 and <= 7) or 14 or 15 or (>= 19 and <= 24);

    /// <summary>Row strides of VPP images are aligned to 64 bytes.</summary>
    public static int Align64(int bytes) => (bytes + 63) & ~63;
}
