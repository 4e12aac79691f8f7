using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using SimClrV2.Sophon.Tests.TestSupport;
using SimClrV2.Sophon.Tpu;
using SimClrV2.Sophon.Tpu.Interop;

namespace SimClrV2.Sophon.Tests.Tpu;

/// <summary>
/// The managed structs and offsets against an independent source: a C++ compiler's sizeof and
/// offsetof over the vendor's own headers (../shared/vendor/libsophon/include, bmlib_runtime.h,
/// bmdef.h, bmcv_api_ext.h; 64-bit Linux), not against literals typed next to them.
/// </summary>
public class VendorLayoutTests
{
    private static Dictionary<string, long>? s_vendor;

    [Test]
    public void DeviceMemoryMatchesBmMemDesc()
    {
        Dictionary<string, long> v = Vendor();
        Assert.That(Marshal.SizeOf<BmDeviceMem>(), Is.EqualTo(v["sizeof bm_device_mem_t"]));
        Assert.That(Offset<BmDeviceMem>("DeviceAddress"), Is.EqualTo(v["bm_mem_desc.u.device.device_addr"]));
        Assert.That(Offset<BmDeviceMem>("Reserved"), Is.EqualTo(v["bm_mem_desc.u.device.reserved"]));
        Assert.That(Offset<BmDeviceMem>("DmaBufFd"), Is.EqualTo(v["bm_mem_desc.u.device.dmabuf_fd"]));
        Assert.That(Offset<BmDeviceMem>("Flags"), Is.EqualTo(v["bm_mem_desc.flags"]));
        Assert.That(Offset<BmDeviceMem>("Size"), Is.EqualTo(v["bm_mem_desc.size"]));
    }

    [Test]
    public void ShapeAndTensorMatchTheRuntimesStructs()
    {
        Dictionary<string, long> v = Vendor();
        Assert.That(Marshal.SizeOf<BmShape>(), Is.EqualTo(v["sizeof bm_shape_t"]));
        Assert.That(Marshal.SizeOf<BmTensor>(), Is.EqualTo(v["sizeof bm_tensor_t"]));
        Assert.That(
            new[] { Offset<BmTensor>("DType"), Offset<BmTensor>("Shape"), Offset<BmTensor>("DeviceMem"), Offset<BmTensor>("StMode") },
            Is.EqualTo(new[] { v["bm_tensor_t.dtype"], v["bm_tensor_t.shape"], v["bm_tensor_t.device_mem"], v["bm_tensor_t.st_mode"] }));
    }

    [Test]
    public void NetInfoOffsetsAreTheVendorsAndTheStageLayoutIsTheExtendedOne()
    {
        Dictionary<string, long> v = Vendor();
        (int Managed, string Field)[] fields =
        [
            (NetInfoOffsets.Name, "name"), (NetInfoOffsets.IsDynamic, "is_dynamic"), (NetInfoOffsets.InputNum, "input_num"),
            (NetInfoOffsets.InputNames, "input_names"), (NetInfoOffsets.InputDTypes, "input_dtypes"), (NetInfoOffsets.InputScales, "input_scales"),
            (NetInfoOffsets.OutputNum, "output_num"), (NetInfoOffsets.OutputNames, "output_names"), (NetInfoOffsets.OutputDTypes, "output_dtypes"),
            (NetInfoOffsets.OutputScales, "output_scales"), (NetInfoOffsets.StageNum, "stage_num"), (NetInfoOffsets.Stages, "stages"),
            (NetInfoOffsets.MaxInputBytes, "max_input_bytes"), (NetInfoOffsets.MaxOutputBytes, "max_output_bytes"),
            (NetInfoOffsets.InputZeroPoint, "input_zero_point"), (NetInfoOffsets.OutputZeroPoint, "output_zero_point"),
        ];

        Assert.That(fields.Select(f => (f.Field, (long)f.Managed)), Is.EqualTo(fields.Select(f => (f.Field, v["bm_net_info_t." + f.Field]))));
        Assert.That(v["sizeof bm_stage_info_t"], Is.EqualTo(NetInfoOffsets.StageSize), "the headers are libsophon's current (extended) layout");
        Assert.That((v["bm_stage_info_t.input_shapes"], v["bm_stage_info_t.output_shapes"]), Is.EqualTo(((long)NetInfoOffsets.StageInputShapes, (long)NetInfoOffsets.StageOutputShapes)));
    }

    [Test]
    public void BmcvImageAndConvertToAttributesMatch()
    {
        Dictionary<string, long> v = Vendor();
        Assert.That(Marshal.SizeOf<BmImage>(), Is.EqualTo(v["sizeof bm_image"]));
        Assert.That(
            new[] { "Width", "Height", "ImageFormat", "DataType", "ImagePrivate" }.Select(Offset<BmImage>),
            Is.EqualTo(new[] { "width", "height", "image_format", "data_type", "image_private" }.Select(f => v["bm_image." + f])));
        Assert.That(Marshal.SizeOf<BmcvConvertToAttr>(), Is.EqualTo(v["sizeof bmcv_convert_to_attr"]));
        Assert.That(
            new[] { "Alpha0", "Beta0", "Alpha1", "Beta1", "Alpha2", "Beta2" }.Select(Offset<BmcvConvertToAttr>),
            Is.EqualTo(new[] { "alpha_0", "beta_0", "alpha_1", "beta_1", "alpha_2", "beta_2" }.Select(f => v["bmcv_convert_to_attr." + f])));
    }

    [Test]
    public void VppRectanglesAndDeviceStatsMatch()
    {
        Dictionary<string, long> v = Vendor();
        Assert.That(Marshal.SizeOf<BmcvRect>(), Is.EqualTo(v["sizeof bmcv_rect_t"]));
        Assert.That(
            new[] { "StartX", "StartY", "Width", "Height" }.Select(Offset<BmcvRect>),
            Is.EqualTo(new[] { "start_x", "start_y", "crop_w", "crop_h" }.Select(f => v["bmcv_rect_t." + f])));
        Assert.That(Marshal.SizeOf<BmcvPaddingAttr>(), Is.EqualTo(v["sizeof bmcv_padding_atrr_t"]));
        Assert.That(
            new[] { "DstX", "DstY", "DstWidth", "DstHeight", "PadR", "PadG", "PadB", "IfMemset" }.Select(Offset<BmcvPaddingAttr>),
            Is.EqualTo(new[] { "dst_crop_stx", "dst_crop_sty", "dst_crop_w", "dst_crop_h", "padding_r", "padding_g", "padding_b", "if_memset" }.Select(f => v["bmcv_padding_atrr_t." + f])));
        Assert.That(Marshal.SizeOf<BmDevStat>(), Is.EqualTo(v["sizeof bm_dev_stat_t"]));
        Assert.That(
            new[] { "MemTotal", "MemUsed", "TpuUtil", "HeapNum", "HeapStat" }.Select(Offset<BmDevStat>),
            Is.EqualTo(new[] { "mem_total", "mem_used", "tpu_util", "heap_num", "heap_stat" }.Select(f => v["bm_dev_stat_t." + f])));
    }

    [Test]
    public void TheBindingsEnumValuesAreTheVendors()
    {
        Dictionary<string, long> v = Vendor();
        (long Managed, string Vendor)[] values =
        [
            ((long)BmImageFormat.Yuv420P, "FORMAT_YUV420P"), ((long)BmImageFormat.Yuv422P, "FORMAT_YUV422P"), ((long)BmImageFormat.Yuv444P, "FORMAT_YUV444P"),
            ((long)BmImageFormat.RgbPlanar, "FORMAT_RGB_PLANAR"), ((long)BmImageFormat.BgrPlanar, "FORMAT_BGR_PLANAR"), ((long)BmImageFormat.RgbPacked, "FORMAT_RGB_PACKED"),
            ((long)BmImageFormat.BgrPacked, "FORMAT_BGR_PACKED"), ((long)BmImageFormat.Gray, "FORMAT_GRAY"),
            ((long)BmImageDataType.Float32, "DATA_TYPE_EXT_FLOAT32"), ((long)BmImageDataType.Byte, "DATA_TYPE_EXT_1N_BYTE"), ((long)BmImageDataType.SignedByte, "DATA_TYPE_EXT_1N_BYTE_SIGNED"),
            (Bmcv.ResizeNearest, "BMCV_INTER_NEAREST"), (Bmcv.ResizeLinear, "BMCV_INTER_LINEAR"),
            (Bmcv.CscYPbPrToRgbBt601, "CSC_YPbPr2RGB_BT601"), (Bmcv.CscByFormat, "CSC_MAX_ENUM"),
            ((long)SophonStatus.Success, "BM_SUCCESS"), ((long)SophonStatus.DeviceNotReady, "BM_ERR_DEVNOTREADY"), ((long)SophonStatus.Failure, "BM_ERR_FAILURE"),
            ((long)SophonStatus.Timeout, "BM_ERR_TIMEOUT"), ((long)SophonStatus.Parameter, "BM_ERR_PARAM"), ((long)SophonStatus.NoMemory, "BM_ERR_NOMEM"),
            ((long)SophonStatus.Data, "BM_ERR_DATA"), ((long)SophonStatus.Busy, "BM_ERR_BUSY"), ((long)SophonStatus.NoFeature, "BM_ERR_NOFEATURE"),
            ((long)SophonStatus.NotSupported, "BM_NOT_SUPPORTED"),
        ];

        Assert.That(values.Select(x => (x.Vendor, x.Managed)), Is.EqualTo(values.Select(x => (x.Vendor, v["enum " + x.Vendor]))));
        for (int format = 0; format <= (int)v["enum FORMAT_BAYER_RG8"]; format++)
        {
            Assert.That(Bmcv.IsYuv((BmImageFormat)format), Is.EqualTo(v[$"yuv {format}"] == 1), $"format {format}: libbmcv's is_csc_yuv_or_rgb");
        }
    }

    /// <summary>
    /// Every function the emulator exports that the vendor declares is declared again, with the
    /// emulator's own parameter list, after the vendor's headers: a C++ compiler refuses a C function
    /// declared twice with different types, so any prototype that differs from the vendor's fails here.
    /// </summary>
    [Test]
    public void TheEmulatorsExportsHaveTheVendorsPrototypes()
    {
        string include = TestData.RequireShared("vendor", "libsophon", "include");
        string compiler = Compiler();
        string headers = string.Concat(Directory.GetFiles(include, "*.h").Select(File.ReadAllText));
        string sources = string.Concat(Directory.GetFiles(Path.Combine(TestData.RepoRoot, "native", "sophon-emulator", "src"), "*.c").Order(StringComparer.Ordinal).Select(File.ReadAllText));
        var declarations = new List<string>();
        foreach (System.Text.RegularExpressions.Match m in System.Text.RegularExpressions.Regex.Matches(sources, @"EMU_EXPORT\s+([^;{]*?)\b(\w+)\s*\(([^)]*)\)\s*\{"))
        {
            string name = m.Groups[2].Value;
            if (System.Text.RegularExpressions.Regex.IsMatch(headers, $@"\b{name}\s*\("))
            {
                declarations.Add($"extern \"C\" {m.Groups[1].Value.Trim()} {name}({string.Join(' ', m.Groups[3].Value.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries))});");
            }
        }

        using var dir = new TempDir();
        string source = dir.File("prototypes.cpp");
        File.WriteAllText(source, "#include \"bmlib_runtime.h\"\n#include \"bmruntime_interface.h\"\n#include \"bmcv_api_ext.h\"\n" + string.Join('\n', declarations) + "\n");

        Run(compiler, ["-fsyntax-only", "-I", include, source]);
        Assert.That(declarations, Has.Count.GreaterThanOrEqualTo(38), "bmlib, bmrt and bmcv functions the emulator implements");
        Assert.That(declarations, Has.Some.Contains("bmcv_image_vpp_basic").And.Some.Contains("bmrt_launch_tensor_ex").And.Some.Contains("bm_get_stat"));
    }

    private static long Offset<T>(string field) => (long)Marshal.OffsetOf<T>(field);

    /// <summary>Compiles and runs a program that prints the vendor headers' sizes and offsets (once per run).</summary>
    private static Dictionary<string, long> Vendor()
    {
        if (s_vendor is not null)
        {
            return s_vendor;
        }

        string include = TestData.RequireShared("vendor", "libsophon", "include");
        if (!OperatingSystem.IsLinux() || RuntimeInformation.ProcessArchitecture != Architecture.X64 && RuntimeInformation.ProcessArchitecture != Architecture.Arm64)
        {
            Assert.Ignore("The layouts are checked for 64-bit Linux, the platforms libsophon ships for.");
        }

        string compiler = Compiler();
        using var dir = new TempDir();
        string source = dir.File("layout.cpp");
        File.WriteAllText(source, Program);
        string exe = dir.File("layout");
        Run(compiler, ["-I", include, "-o", exe, source]);
        s_vendor = Run(exe, []).Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(l => l.Split(' ', 2))
            .ToDictionary(p => p[1], p => long.Parse(p[0], CultureInfo.InvariantCulture), StringComparer.Ordinal);
        return s_vendor;
    }

    private static string Compiler()
    {
        string? compiler = new[] { "c++", "g++", "clang++" }.Select(Find).FirstOrDefault(p => p is not null);
        if (compiler is null)
        {
            Assert.Ignore("No C++ compiler (c++, g++ or clang++) on PATH: the vendor's bmcv header is C++; install g++ to check the layouts against it.");
        }

        return compiler!;
    }

    private static string? Find(string name) =>
        (Environment.GetEnvironmentVariable("PATH") ?? string.Empty).Split(':').Select(d => Path.Combine(d, name)).FirstOrDefault(File.Exists);

    private static string Run(string file, string[] args)
    {
        var start = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (string a in args)
        {
            start.ArgumentList.Add(a);
        }

        using Process process = Process.Start(start)!;
        Task<string> stdout = process.StandardOutput.ReadToEndAsync();
        Task<string> stderr = process.StandardError.ReadToEndAsync();
        Assert.That(process.WaitForExit(120_000), Is.True, $"{file} did not finish in 2 minutes");
        Assert.That(process.ExitCode, Is.Zero, $"{file} failed: {stderr.Result}");
        return stdout.Result;
    }

    private const string Program = """
        #include <cstdio>
        #include <cstddef>
        #include "bmlib_runtime.h"
        #include "bmruntime_interface.h"
        #include "bmcv_api_ext.h"
        #define SIZE(t) std::printf("%zu sizeof " #t "\n", sizeof(t));
        #define OFF(t, f) std::printf("%zu " #t "." #f "\n", offsetof(t, f));
        #define ENUM(e) std::printf("%ld enum " #e "\n", (long)(e));
        int main() {
          SIZE(bm_device_mem_t) SIZE(bm_shape_t) SIZE(bm_tensor_t) SIZE(bm_stage_info_t) SIZE(bm_image) SIZE(bmcv_convert_to_attr)
          OFF(bm_mem_desc, u.device.device_addr) OFF(bm_mem_desc, u.device.reserved) OFF(bm_mem_desc, u.device.dmabuf_fd)
          OFF(bm_mem_desc, flags) OFF(bm_mem_desc, size)
          OFF(bm_tensor_t, dtype) OFF(bm_tensor_t, shape) OFF(bm_tensor_t, device_mem) OFF(bm_tensor_t, st_mode)
          OFF(bm_net_info_t, name) OFF(bm_net_info_t, is_dynamic) OFF(bm_net_info_t, input_num) OFF(bm_net_info_t, input_names)
          OFF(bm_net_info_t, input_dtypes) OFF(bm_net_info_t, input_scales) OFF(bm_net_info_t, output_num) OFF(bm_net_info_t, output_names)
          OFF(bm_net_info_t, output_dtypes) OFF(bm_net_info_t, output_scales) OFF(bm_net_info_t, stage_num) OFF(bm_net_info_t, stages)
          OFF(bm_net_info_t, max_input_bytes) OFF(bm_net_info_t, max_output_bytes) OFF(bm_net_info_t, input_zero_point)
          OFF(bm_net_info_t, output_zero_point) OFF(bm_stage_info_t, input_shapes) OFF(bm_stage_info_t, output_shapes)
          OFF(bm_image, width) OFF(bm_image, height) OFF(bm_image, image_format) OFF(bm_image, data_type) OFF(bm_image, image_private)
          OFF(bmcv_convert_to_attr, alpha_0) OFF(bmcv_convert_to_attr, beta_0) OFF(bmcv_convert_to_attr, alpha_1)
          OFF(bmcv_convert_to_attr, beta_1) OFF(bmcv_convert_to_attr, alpha_2) OFF(bmcv_convert_to_attr, beta_2)
          SIZE(bmcv_rect_t) OFF(bmcv_rect_t, start_x) OFF(bmcv_rect_t, start_y) OFF(bmcv_rect_t, crop_w) OFF(bmcv_rect_t, crop_h)
          SIZE(bmcv_padding_atrr_t) OFF(bmcv_padding_atrr_t, dst_crop_stx) OFF(bmcv_padding_atrr_t, dst_crop_sty) OFF(bmcv_padding_atrr_t, dst_crop_w)
          OFF(bmcv_padding_atrr_t, dst_crop_h) OFF(bmcv_padding_atrr_t, padding_r) OFF(bmcv_padding_atrr_t, padding_g) OFF(bmcv_padding_atrr_t, padding_b)
          OFF(bmcv_padding_atrr_t, if_memset)
          SIZE(bm_dev_stat_t) OFF(bm_dev_stat_t, mem_total) OFF(bm_dev_stat_t, mem_used) OFF(bm_dev_stat_t, tpu_util) OFF(bm_dev_stat_t, heap_num)
          OFF(bm_dev_stat_t, heap_stat)
          ENUM(FORMAT_YUV420P) ENUM(FORMAT_YUV422P) ENUM(FORMAT_YUV444P) ENUM(FORMAT_RGB_PLANAR) ENUM(FORMAT_BGR_PLANAR) ENUM(FORMAT_RGB_PACKED)
          ENUM(FORMAT_BGR_PACKED) ENUM(FORMAT_GRAY) ENUM(FORMAT_BAYER_RG8)
          ENUM(DATA_TYPE_EXT_FLOAT32) ENUM(DATA_TYPE_EXT_1N_BYTE) ENUM(DATA_TYPE_EXT_1N_BYTE_SIGNED)
          ENUM(BMCV_INTER_NEAREST) ENUM(BMCV_INTER_LINEAR) ENUM(CSC_YPbPr2RGB_BT601) ENUM(CSC_MAX_ENUM)
          ENUM(BM_SUCCESS) ENUM(BM_ERR_DEVNOTREADY) ENUM(BM_ERR_FAILURE) ENUM(BM_ERR_TIMEOUT) ENUM(BM_ERR_PARAM) ENUM(BM_ERR_NOMEM)
          ENUM(BM_ERR_DATA) ENUM(BM_ERR_BUSY) ENUM(BM_ERR_NOFEATURE) ENUM(BM_NOT_SUPPORTED)
          // is_csc_yuv_or_rgb (bm1684x/bmcv_1684x_vpp_internal.cpp): the YUV formats, by name.
          for (int f = 0; f <= FORMAT_BAYER_RG8; f++) {
            bool yuv = f == FORMAT_YUV420P || f == FORMAT_YUV422P || f == FORMAT_YUV444P || f == FORMAT_NV12 || f == FORMAT_NV21 || f == FORMAT_NV16
              || f == FORMAT_NV61 || f == FORMAT_NV24 || f == FORMAT_GRAY || f == FORMAT_COMPRESSED || f == FORMAT_YUV444_PACKED || f == FORMAT_YVU444_PACKED
              || f == FORMAT_YUV422_YUYV || f == FORMAT_YUV422_YVYU || f == FORMAT_YUV422_UYVY || f == FORMAT_YUV422_VYUY;
            std::printf("%d yuv %d\n", yuv ? 1 : 0, f);
          }
          return 0;
        }
        """;
}
